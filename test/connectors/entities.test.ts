import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { describeEntity, listEntities } from "../../src/connectors/entities.ts";
import type { EntityContext } from "../../src/connectors/sdk/definition.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../../src/connectors/types.ts";
import { type Backend, startBackend } from "./s3-backends.ts";

const sig = () => AbortSignal.timeout(30_000);
const ectx = (profile: ResolvedProfile | undefined, env: ConnectorEnvironment): EntityContext => ({
  profile,
  env,
  signal: sig(),
  saveCredentials: async (c) => c,
});

for (const kind of ["local", "s3rver"] as const) {
  describe(`S3 entities on the ${kind} backend`, () => {
    let b: Backend;
    before(async () => {
      b = await startBackend(kind);
      await b.store.createBucket("ent-bucket", sig());
      await b.store.put(
        "ent-bucket",
        "sales/2024/a.csv",
        Buffer.from("id,amount,ok,day,name\n1,2.5,true,2024-01-02,x\n2,3,false,2024-01-03,\n"),
        sig(),
      );
      await b.store.put(
        "ent-bucket",
        "sales/top.jsonl",
        Buffer.from('{"n":1,"f":1.5,"b":true,"o":{"x":1}}\n'),
        sig(),
      );
    });
    after(async () => b.close());

    test("lists buckets, then folders and objects level by level", async () => {
      const buckets = await listEntities("S3", ectx(undefined, b.env), undefined);
      assert.ok(buckets.some((e) => e.name === "ent-bucket" && e.hasNestedEntities));
      assert.deepEqual(await listEntities("S3", ectx(undefined, b.env), "ent-bucket"), [
        { name: "ent-bucket/sales", label: "sales", hasNestedEntities: true },
      ]);
      assert.deepEqual(await listEntities("S3", ectx(undefined, b.env), "ent-bucket/sales"), [
        { name: "ent-bucket/sales/2024", label: "2024", hasNestedEntities: true },
        { name: "ent-bucket/sales/top.jsonl", label: "top.jsonl", hasNestedEntities: false },
      ]);
    });

    test("describes a CSV folder and a JSON object with field types from a sample", async () => {
      const csv = await describeEntity("S3", ectx(undefined, b.env), "ent-bucket/sales/2024");
      assert.deepEqual(
        csv.map((f) => [f.identifier, f.supportedFieldTypeDetails.v1.fieldType]),
        [
          ["id", "integer"],
          ["amount", "double"],
          ["ok", "boolean"],
          ["day", "date"],
          ["name", "string"],
        ],
      );
      assert.ok(csv[1]!.supportedFieldTypeDetails.v1.filterOperators.includes("GREATER_THAN"));
      const json = await describeEntity("S3", ectx(undefined, b.env), "ent-bucket/sales/top.jsonl");
      assert.deepEqual(
        json.map((f) => [f.identifier, f.supportedFieldTypeDetails.v1.fieldType]),
        [
          ["n", "integer"],
          ["f", "double"],
          ["b", "boolean"],
          ["o", "string"],
        ],
      );
    });
  });
}

describe("Redshift entities on PostgreSQL", () => {
  const schema = `sluice_ent_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
  const profile: ResolvedProfile = {
    connectorProfileName: "rs",
    connectorType: "Redshift",
    properties: { databaseUrl: "jdbc:redshift://127.0.0.1:5432/test" },
    credentials: { username: "postgres", password: "x" },
  };
  const env = { dataDir: "/nonexistent", s3: {}, redshiftBatchRows: 1, sourceParallelism: 1, batchRows: 1 };
  before(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(
      `CREATE TABLE ${schema}.orders (id bigint PRIMARY KEY, total numeric(10,2), paid boolean NOT NULL DEFAULT false, at timestamptz, note text)`,
    );
  });
  after(async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  test("lists schemas then tables, and describes columns", async () => {
    const schemas = await listEntities("Redshift", ectx(profile, env), undefined);
    assert.ok(schemas.some((s) => s.name === schema && s.hasNestedEntities));
    assert.ok(!schemas.some((s) => s.name === "pg_catalog"));
    assert.deepEqual(await listEntities("Redshift", ectx(profile, env), schema), [
      { name: `${schema}.orders`, label: "orders", hasNestedEntities: false },
    ]);
    const fields = await describeEntity("Redshift", ectx(profile, env), `${schema}.orders`);
    assert.deepEqual(
      fields.map((f) => [
        f.identifier,
        f.supportedFieldTypeDetails.v1.fieldType,
        f.isPrimaryKey,
        f.destinationProperties?.isNullable,
      ]),
      [
        ["id", "integer", true, false],
        ["total", "double", false, true],
        ["paid", "boolean", false, false],
        ["at", "datetime", false, true],
        ["note", "string", false, true],
      ],
    );
    assert.equal(fields[2]!.destinationProperties?.isDefaultedOnCreate, true);
    await assert.rejects(
      listEntities("Redshift", ectx(undefined, env), undefined),
      /connectorProfileName is required/,
    );
  });
});

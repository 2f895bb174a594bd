/**
 * The Redshift path without Redshift: a Redshift profile that names a cluster (no databaseUrl) loads
 * through the Redshift Data API fake (test/fakes/redshift-data), which runs Redshift's COPY FROM
 * 's3://…' by reading the staged object from s3rver. Staging, the COPY text, the IAM role, the commit,
 * the cleanup, error classification and cancel are checked end to end.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { describeEntity, listEntities } from "../../src/connectors/entities.ts";
import { closeDataApiClients } from "../../src/connectors/redshift/data-api.ts";
import { createRedshiftDestination } from "../../src/connectors/redshift/redshift-destination.ts";
import { testRedshiftProfile } from "../../src/connectors/redshift/redshift-profile.ts";
import type { RedshiftDestinationProperties } from "../../src/connectors/redshift/shapes.ts";
import type { ConnectorEnvironment, ResolvedProfile, RunContext } from "../../src/connectors/types.ts";
import { ConnectorAuthenticationError, ConnectorServerError } from "../../src/domain/errors.ts";
import { type RedshiftDataFake, startRedshiftDataFake } from "../fakes/redshift-data/server.ts";
import { type ContextOptions, connectorContext } from "../helpers/connector-context.ts";
import { type Backend, readAll, startBackend } from "./s3-backends.ts";

const schema = `sluice_rsd_${randomBytes(4).toString("hex")}`;
const ROLE = "arn:aws:iam::123456789012:role/redshift-copy";
const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
const sig = () => AbortSignal.timeout(60_000);
let b: Backend;
let fake: RedshiftDataFake;
let env: ConnectorEnvironment;

const profile = (over: Record<string, unknown> = {}): ResolvedProfile => ({
  connectorProfileName: "rs-data-api",
  connectorType: "Redshift",
  properties: {
    clusterIdentifier: "sluice-cluster",
    databaseName: "test",
    bucketName: "rs-stage",
    roleArn: ROLE,
    ...over,
  },
  credentials: { username: "awsuser" },
});

function base(executionId: string): RunContext {
  return {
    executionId,
    startedAt: new Date(),
    env,
    flow: {
      flowName: "to-redshift",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/to-redshift",
      accountId: "000000000000",
      region: "us-east-1",
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: {} },
      destinationFlowConfigList: [],
      tasks: [],
      schemaVersion: 1,
    },
  };
}

function open(
  table: string,
  extra: Partial<RedshiftDestinationProperties> = {},
  id = "e1",
  o: ContextOptions = {},
) {
  return createRedshiftDestination(
    {
      connectorType: "Redshift",
      destinationConnectorProperties: {
        Redshift: {
          object: `${schema}.${table}`,
          intermediateBucketName: "rs-stage",
          bucketPrefix: "stage",
          ...extra,
        },
      },
    },
    connectorContext(base(id), { profile: profile(), ...o }),
  ).open();
}

async function makeTable(name: string): Promise<void> {
  await admin.query(`CREATE TABLE ${schema}.${name} (id integer PRIMARY KEY, name text, note text)`);
}
const ids = async (t: string) =>
  (await admin.query(`SELECT id FROM ${schema}.${t} ORDER BY id`)).rows.map((r) => r.id);
const staged = async () => (await b.store.list("rs-stage", "", sig())).map((o) => o.key);

describe("Redshift destination through the Redshift Data API (fake) and S3 staging (s3rver)", () => {
  before(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    b = await startBackend("s3rver");
    for (const bucket of ["rs-stage", "rs-errors"]) await b.store.createBucket(bucket, sig());
    fake = await startRedshiftDataFake({
      schema,
      store: b.store,
      iamRoles: [ROLE],
      accessKeyId: "AKIDSLUICETEST",
    });
    env = {
      ...b.env,
      redshiftBatchRows: 3,
      connectors: {
        Redshift: {
          batchAttempts: 3,
          batchRetryMs: 20,
          dataApiEndpoint: fake.endpoint,
          dataApiRegion: "us-east-1",
          dataApiAccessKeyId: "AKIDSLUICETEST",
          dataApiSecretAccessKey: "x",
        },
      },
    };
  });
  after(async () => {
    await fake?.close();
    await b?.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  test("each batch is staged under the intermediate bucket, COPYed from S3 with the IAM role, then deleted", async () => {
    await makeTable("t_load");
    const w = await open("t_load");
    // Staged loads take rows only: the fast path's encoded records are not offered to them.
    assert.equal(w.encodedFormat, undefined);
    const p = await w.write({
      fields: ["id", "name", "note"],
      rows: [
        [1, "a", null],
        [2, "", 'q"uote, comma'],
        [3, "c", "multi\nline"],
        [4, "d", "x"],
      ],
      bytes: 0,
    });
    assert.equal(p.recordsWritten, 3);
    const fin = await w.finish();
    assert.equal(fin.recordsWritten, 4);
    assert.deepEqual(await ids("t_load"), [1, 2, 3, 4]);
    const got = (await admin.query(`SELECT name, note FROM ${schema}.t_load WHERE id <= 2 ORDER BY id`)).rows;
    assert.deepEqual(got, [
      { name: "a", note: null },
      { name: "", note: 'q"uote, comma' },
    ]);
    const mine = fake.copies.filter((c) => c.table.includes("t_load"));
    assert.equal(mine.length, 2);
    for (const c of mine) {
      assert.equal(c.bucket, "rs-stage");
      assert.match(c.key, /^stage\/to-redshift\/e1\/batch-.*\.csv$/);
      assert.equal(c.iamRole, ROLE);
      assert.match(
        c.sql,
        new RegExp(
          `^COPY "${schema}"\\."t_load" \\("id", "name", "note"\\) FROM 's3://rs-stage/stage/to-redshift/e1/batch-[^']+\\.csv' IAM_ROLE '${ROLE}' FORMAT AS CSV`,
        ),
      );
    }
    assert.deepEqual(
      mine.map((c) => c.rows),
      [3, 1],
    );
    assert.deepEqual(await staged(), [], "staged objects are deleted after the load");
  });

  test("a batch Redshift rejects as data counts as putFailures and goes to the error bucket", async () => {
    await makeTable("t_bad");
    const w = await open(
      "t_bad",
      { errorHandlingConfig: { bucketName: "rs-errors", bucketPrefix: "bad" } },
      "e-bad",
    );
    await w.write({
      fields: ["id", "name"],
      rows: [
        [1, "a"],
        ["nope", "b"],
        [3, "c"],
        [4, "d"],
      ],
      bytes: 0,
    });
    const fin = await w.finish();
    assert.deepEqual([fin.recordsWritten, fin.putFailures], [1, 3]);
    assert.deepEqual(await ids("t_bad"), [4]);
    const errs = await b.store.list("rs-errors", "bad/", sig());
    assert.deepEqual(
      errs.map((o) => o.key),
      ["bad/to-redshift/e-bad/rejected-00000.csv"],
    );
    assert.equal(
      (await readAll(b.store, "rs-errors", errs[0]!.key)).toString(),
      "id,name\n1,a\nnope,b\n3,c\n",
    );
    assert.deepEqual(await staged(), []);
  });

  test("an IAM role Redshift may not assume fails the load with Redshift's message", async () => {
    await makeTable("t_role");
    const w = await createRedshiftDestination(
      {
        connectorType: "Redshift",
        destinationConnectorProperties: {
          Redshift: { object: `${schema}.t_role`, intermediateBucketName: "rs-stage" },
        },
      },
      connectorContext(base("e-role"), {
        profile: profile({ roleArn: "arn:aws:iam::123456789012:role/other" }),
      }),
    ).open();
    await assert.rejects(w.write({ fields: ["id"], rows: [[1], [2], [3]], bytes: 0 }), (e: unknown) => {
      assert.ok(e instanceof ConnectorServerError, String(e));
      assert.match(e.message, /not authorized to assume IAM Role arn:aws:iam::123456789012:role\/other/);
      return true;
    });
    await w.abort();
    assert.deepEqual(await ids("t_role"), []);
    assert.deepEqual(await staged(), []);
  });

  test("5xx answers are retried (the SDK's retries, then the batch's): the batch is loaded exactly once", async () => {
    await makeTable("t_retry");
    const w = await open("t_retry", {}, "e-retry");
    // The SDK makes 3 attempts per call: 4 failures exhaust the first batch attempt, the second succeeds.
    fake.failNext("ExecuteStatement", 4);
    const p = await w.write({ fields: ["id"], rows: [[1], [2], [3]], bytes: 0 });
    assert.equal(p.recordsWritten, 3);
    assert.deepEqual(await ids("t_retry"), [1, 2, 3]);
    assert.equal(fake.copies.filter((c) => c.table.includes("t_retry")).length, 1);
    // Failing every time: the write fails saying so, and nothing is counted.
    fake.failNext("ExecuteStatement", 100);
    await assert.rejects(
      w.write({ fields: ["id"], rows: [[4], [5], [6]], bytes: 0 }),
      /failed 3 times and was not written.*InternalServerException/,
    );
    fake.failNext("ExecuteStatement", 0);
    assert.equal((await w.abort()).recordsWritten, 3);
    assert.deepEqual(await ids("t_retry"), [1, 2, 3]);
    assert.deepEqual(await staged(), []);
  });

  test("the hard signal cancels a COPY in flight (CancelStatement): the batch is rolled back and unstaged", async () => {
    await makeTable("t_cancel");
    await admin.query(`CREATE FUNCTION ${schema}.t_cancel_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id >= 100 THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`);
    await admin.query(
      `CREATE TRIGGER slow BEFORE INSERT ON ${schema}.t_cancel FOR EACH ROW EXECUTE FUNCTION ${schema}.t_cancel_slow()`,
    );
    const hard = new AbortController();
    const w = await open("t_cancel", {}, "e-cancel", { hardSignal: hard.signal });
    const writing = w.write({ fields: ["id"], rows: [[1], [100], [101]], bytes: 0 });
    writing.catch(() => {});
    // Hard stop once the COPY's backend is inside the trigger's 30 s pg_sleep.
    const sleeping = async () => {
      const s = fake.statements.find((x) => x.sql.includes("t_cancel") && x.pid !== undefined);
      if (!s) return false;
      const r = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND wait_event = 'PgSleep'",
        [s.pid],
      );
      return r.rowCount === 1;
    };
    const deadline = Date.now() + 15_000;
    while (!(await sleeping())) {
      assert.ok(Date.now() < deadline, "the COPY never reached the slow trigger");
      await new Promise((r) => setTimeout(r, 20));
    }
    hard.abort(new Error("hard stop"));
    await assert.rejects(writing, /hard stop/);
    const s = fake.statements.find((x) => x.sql.includes("t_cancel"))!;
    assert.equal(s.status, "ABORTED");
    // Cancelled, not waited out: the backend leaves the 30 s pg_sleep long before it would end.
    const until = Date.now() + 15_000;
    const busy = async () =>
      (await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [s.pid]))
        .rowCount;
    while ((await busy()) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await busy(), 0, "the COPY's backend was cancelled");
    assert.deepEqual((await w.abort()).recordsWritten, 0);
    assert.deepEqual(await ids("t_cancel"), []);
    assert.deepEqual(await staged(), []);
  });

  test("closeDataApiClients() closes the Data API client's keep-alive sockets; the next call opens a fresh one", async () => {
    await testRedshiftProfile(profile(), sig(), env);
    assert.ok((await fake.connections()) >= 1, "a keep-alive socket is open");
    closeDataApiClients();
    const deadline = Date.now() + 5000;
    while ((await fake.connections()) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(await fake.connections(), 0, "every socket closed");
    await testRedshiftProfile(profile(), sig(), env);
  });

  test("testProfile runs SELECT 1 through the Data API; a key the API doesn't know is an authentication error", async () => {
    await testRedshiftProfile(profile(), sig(), env);
    const badEnv = {
      ...env,
      connectors: {
        Redshift: {
          ...env.connectors?.Redshift,
          dataApiAccessKeyId: "AKIDWRONG",
          dataApiSecretAccessKey: "y",
        },
      },
    };
    await assert.rejects(testRedshiftProfile(profile(), sig(), badEnv), (e: unknown) => {
      assert.ok(e instanceof ConnectorAuthenticationError, String(e));
      assert.match(e.message, /UnrecognizedClientException/);
      return true;
    });
    await assert.rejects(
      testRedshiftProfile(profile({ clusterIdentifier: "nope" }), sig(), env),
      /Redshift endpoint doesn't exist/,
    );
  });

  test("entities through the Data API: schemas, a schema's tables, a table's columns", async () => {
    await admin.query(`CREATE TABLE ${schema}.t_ent (id bigint PRIMARY KEY, total numeric(10,2), note text)`);
    const ectx = {
      profile: profile(),
      env,
      signal: sig(),
      saveCredentials: async (c: Record<string, unknown>) => c,
    };
    const schemas = await listEntities("Redshift", ectx, undefined);
    assert.ok(schemas.some((x) => x.name === schema && x.hasNestedEntities));
    const tables = await listEntities("Redshift", ectx, schema);
    assert.ok(tables.some((x) => x.name === `${schema}.t_ent` && !x.hasNestedEntities));
    const fields = await describeEntity("Redshift", ectx, `${schema}.t_ent`);
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
        ["note", "string", false, true],
      ],
    );
  });
});

/**
 * Done when (issue 11): an S3 → Redshift flow whose profile names a cluster (the Redshift Data API, no
 * databaseUrl) runs in a real `sluice serve`: every batch is staged in the intermediate bucket on the S3
 * endpoint (s3rver), loaded with COPY FROM 's3://…' IAM_ROLE … by the Data API fake, and cleaned up.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  DescribeConnectorProfilesCommand,
  StartFlowCommand,
} from "@aws-sdk/client-appflow";
import pg from "pg";
import { type Backend, startBackend } from "../connectors/s3-backends.ts";
import { type RedshiftDataFake, startRedshiftDataFake } from "../fakes/redshift-data/server.ts";
import { copyTasks, isTerminal, waitForRun } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const schema = `sluice_rsdf_${randomBytes(4).toString("hex")}`;
const ROLE = "arn:aws:iam::123456789012:role/redshift-copy";
const ROWS = 230;
const BATCH = 50;
const sig = () => AbortSignal.timeout(30_000);

describe("S3 → Redshift through the Redshift Data API, in a real server", () => {
  const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
  let b: Backend;
  let fake: RedshiftDataFake;
  let s: TestServer;

  before(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.people (id integer PRIMARY KEY, name text)`);
    b = await startBackend("s3rver");
    for (const bucket of ["in-bucket", "stage"]) await b.store.createBucket(bucket, sig());
    let csv = "id,name\n";
    for (let i = 1; i <= ROWS; i++) csv += `${i},person ${i}\n`;
    await b.store.put("in-bucket", "people/all.csv", Buffer.from(csv), sig());
    fake = await startRedshiftDataFake({ schema, store: b.store, iamRoles: [ROLE], accessKeyId: "AKIDE2E" });
    s = await startTestServer("sqlite", {
      s3: { ...b.env.s3 },
      engine: { batchRows: 100, redshiftBatchRows: BATCH },
      connectors: {
        Redshift: {
          dataApiEndpoint: fake.endpoint,
          dataApiRegion: "us-east-1",
          dataApiAccessKeyId: "AKIDE2E",
          dataApiSecretAccessKey: "e2e-secret",
        },
      },
    });
  });
  after(async () => {
    await s?.close();
    await fake?.close();
    await b?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  test("the flow stages each batch, COPYs it from S3 with the profile's IAM role, and deletes it", async () => {
    await s.client.send(
      new CreateConnectorProfileCommand({
        connectorProfileName: "warehouse",
        connectorType: "Redshift",
        connectionMode: "Public",
        connectorProfileConfig: {
          connectorProfileProperties: {
            Redshift: {
              clusterIdentifier: "sluice-cluster",
              databaseName: "test",
              bucketName: "stage",
              roleArn: ROLE,
              dataApiRoleArn: "arn:aws:iam::123456789012:role/data-api",
            },
          },
          connectorProfileCredentials: { Redshift: { username: "awsuser" } },
        },
      }),
    );
    // The profile was tested through the Data API (SELECT 1) before it was stored.
    assert.ok(fake.statements.some((x) => x.sql === "SELECT 1" && x.status === "FINISHED"));
    const described = await s.client.send(new DescribeConnectorProfilesCommand({}));
    assert.equal(
      described.connectorProfileDetails?.[0]?.connectorProfileProperties?.Redshift?.clusterIdentifier,
      "sluice-cluster",
    );

    await s.client.send(
      new CreateFlowCommand({
        flowName: "people-to-redshift",
        triggerConfig: { triggerType: "OnDemand" },
        sourceFlowConfig: {
          connectorType: "S3",
          sourceConnectorProperties: { S3: { bucketName: "in-bucket", bucketPrefix: "people" } },
        },
        destinationFlowConfigList: [
          {
            connectorType: "Redshift",
            connectorProfileName: "warehouse",
            destinationConnectorProperties: {
              Redshift: { object: `${schema}.people`, intermediateBucketName: "stage", bucketPrefix: "tmp" },
            },
          },
        ],
        tasks: copyTasks(["id", "name"]),
      }),
    );
    const { executionId } = await s.client.send(new StartFlowCommand({ flowName: "people-to-redshift" }));
    const run = await waitForRun(
      s.client,
      "people-to-redshift",
      executionId!,
      isTerminal,
      "the run to end",
      60_000,
    );
    assert.equal(run.executionStatus, "Successful", String(run.executionResult?.errorInfo?.executionMessage));
    assert.equal(run.executionResult?.recordsProcessed, ROWS);

    const held = await admin.query(
      `SELECT count(*)::int AS n, min(id) AS lo, max(id) AS hi FROM ${schema}.people`,
    );
    assert.deepEqual(held.rows[0], { n: ROWS, lo: 1, hi: ROWS });
    const copies = fake.copies.filter((c) => c.table.includes("people"));
    assert.equal(copies.length, Math.ceil(ROWS / BATCH));
    assert.equal(
      copies.reduce((n, c) => n + c.rows, 0),
      ROWS,
    );
    for (const c of copies) {
      assert.equal(c.iamRole, ROLE);
      assert.equal(c.bucket, "stage");
      assert.ok(c.key.startsWith(`tmp/people-to-redshift/${executionId}/`), c.key);
    }
    assert.deepEqual(await b.store.list("stage", "", sig()), [], "the staged objects were deleted");
  });
});

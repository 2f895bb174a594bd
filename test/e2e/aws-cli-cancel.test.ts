/**
 * The "Done when", as a new user does it with the AWS CLI and the README's environment: a Redshift
 * profile for the local PostgreSQL, an S3 → Redshift flow from --cli-input-json, start-flow, watch it
 * InProgress, cancel-flow-executions, see CancelStarted then Canceled with the counts, find exactly whole
 * batches in the table, and get the id back in invalidExecutions when cancelling it again. Plus the CLI's
 * view of errors: a ValidationException naming the member, and a wrong secret refused with nothing created.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyTasks, createGatedTable, makeBucket, writeCsv } from "../helpers/flows.ts";
import { describeRun, type ProcResult, pythonSkipReason, runAws } from "../helpers/python.ts";
import { PG_URL, startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const skip = await pythonSkipReason({ aws: true });
const pgSkip = skip ?? (await pgSkipReason("postgres"));
const ROWS = 5_000;
const BATCH = 200;

interface Execution {
  executionId: string;
  executionStatus: string;
  executionResult?: { recordsProcessed?: number; bytesProcessed?: number; bytesWritten?: number };
}

describe("the AWS CLI against Sluice", { skip }, () => {
  let s: TestServer;
  let dir: string;
  /** `aws appflow <op> --endpoint-url <sluice> ...`; the raw result, for the error cases. */
  const aws = (args: string[], env: Record<string, string> = {}): Promise<ProcResult> =>
    runAws(["appflow", ...args, "--endpoint-url", s.sluice.url, "--output", "json"], env);
  /** The same, required to succeed; its JSON output parsed. */
  const ok = async <T = Record<string, unknown>>(args: string[]): Promise<T> => {
    const r = await aws(args);
    assert.equal(r.code, 0, `aws appflow ${args.join(" ")}: ${describeRun(r)}`);
    return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
  };
  const inputFile = (name: string, body: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(body, null, 2));
    return `file://${file}`;
  };
  const flowNames = async () =>
    (await ok<{ flows: { flowName: string }[] }>(["list-flows"])).flows.map((f) => f.flowName).sort();
  const s3Flow = (flowName: string) => ({
    flowName,
    triggerConfig: { triggerType: "OnDemand" },
    sourceFlowConfig: {
      connectorType: "S3",
      sourceConnectorProperties: {
        S3: {
          bucketName: "in-bucket",
          bucketPrefix: "people",
          s3InputFormatConfig: { s3InputFileType: "CSV" },
        },
      },
    },
    destinationFlowConfigList: [
      {
        connectorType: "S3",
        destinationConnectorProperties: {
          S3: { bucketName: "out-bucket", s3OutputFormatConfig: { fileType: "JSON" } },
        },
      },
    ],
    tasks: copyTasks(),
  });

  before(async () => {
    s = await startTestServer("sqlite", {
      engine: { batchRows: 500, redshiftBatchRows: BATCH, workers: 2 },
      // One COPY connection: the gated table's gate counts committed rows, so with one batch at a time
      // exactly one batch is held in flight at the cancel (two connections: redshift.test.ts).
      connectors: { Redshift: { copyConnections: 1 } },
    });
    dir = mkdtempSync(join(tmpdir(), "sluice-cli-"));
    makeBucket(s.dataDir, "out-bucket");
    await writeCsv(s.dataDir, "in-bucket", "people/part-1.csv", 20);
    await writeCsv(s.dataDir, "in-bucket", "slow/data.csv", ROWS);
  });
  after(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("create-flow from --cli-input-json, then list-flows shows it", async () => {
    const created = await ok<{ flowArn: string; flowStatus: string }>([
      "create-flow",
      "--cli-input-json",
      inputFile("people.json", s3Flow("people-copy")),
    ]);
    assert.match(created.flowArn, /^arn:aws:appflow:us-east-1:000000000000:flow\/people-copy$/);
    assert.equal(created.flowStatus, "Active");
    assert.deepEqual(await flowNames(), ["people-copy"]);
  });

  test("create-flow with an invalid flow name: the CLI prints a ValidationException naming flowName", async () => {
    const r = await aws(["create-flow", "--cli-input-json", inputFile("bad.json", s3Flow("bad name!"))]);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /An error occurred \(ValidationException\)[^\n]*flowName/);
    assert.deepEqual(await flowNames(), ["people-copy"], "nothing was created");
  });

  test("a wrong secret: the CLI fails with a 403-type error and nothing is created", async () => {
    const r = await aws(["create-flow", "--cli-input-json", inputFile("sneaky.json", s3Flow("sneaky"))], {
      AWS_SECRET_ACCESS_KEY: "not-the-secret",
    });
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /An error occurred \((InvalidSignatureException|UnrecognizedClientException)\)/);
    assert.deepEqual(await flowNames(), ["people-copy"], "nothing was created");
  });

  describe("Done when: cancel a run into Redshift (PostgreSQL) from the CLI", { skip: pgSkip }, () => {
    let slow: Awaited<ReturnType<typeof createGatedTable>>;
    const records = async () =>
      (
        await ok<{ flowExecutions: Execution[] }>([
          "describe-flow-execution-records",
          "--flow-name",
          "to-redshift",
        ])
      ).flowExecutions;
    const record = async (id: string) => (await records()).find((r) => r.executionId === id);
    /** Polls the run with the CLI (each call takes a few hundred ms) until `pred` holds or the deadline passes. */
    const waitRun = async (id: string, pred: (r: Execution) => boolean, what: string, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: Execution | undefined;
      while (Date.now() < deadline) {
        last = await record(id);
        if (last && pred(last)) return last;
      }
      assert.fail(`timed out waiting for ${what}: last ${JSON.stringify(last)}`);
    };

    before(async () => {
      // Two whole batches commit, then the third is held in flight until the test opens the gate. (A
      // table that merely slowed each batch to 4 s made the CancelStarted check a race against the CLI:
      // one `aws` call takes 5-8 s on a loaded machine, so the batch in flight committed and the run
      // ended Canceled before the describe after the cancel read it.)
      slow = await createGatedTable(2 * BATCH);
      const url = new URL(PG_URL);
      await ok([
        "create-connector-profile",
        "--cli-input-json",
        inputFile("profile.json", {
          connectorProfileName: "local-pg",
          connectorType: "Redshift",
          connectionMode: "Public",
          connectorProfileConfig: {
            connectorProfileProperties: {
              Redshift: {
                databaseUrl: `jdbc:redshift://${url.hostname}:${url.port || 5432}${url.pathname}`,
                bucketName: "sluice-staging",
                roleArn: "arn:aws:iam::000000000000:role/sluice",
              },
            },
            connectorProfileCredentials: {
              Redshift: { username: url.username || "postgres", password: "unused" },
            },
          },
        }),
      ]);
      await ok([
        "create-flow",
        "--cli-input-json",
        inputFile("flow.json", {
          ...s3Flow("to-redshift"),
          sourceFlowConfig: {
            connectorType: "S3",
            sourceConnectorProperties: {
              S3: {
                bucketName: "in-bucket",
                bucketPrefix: "slow",
                s3InputFormatConfig: { s3InputFileType: "CSV" },
              },
            },
          },
          destinationFlowConfigList: [
            {
              connectorType: "Redshift",
              connectorProfileName: "local-pg",
              destinationConnectorProperties: {
                Redshift: { object: slow.table, intermediateBucketName: "sluice-staging" },
              },
            },
          ],
        }),
      ]);
    });
    after(async () => slow?.drop());

    test("start-flow → InProgress → cancel-flow-executions → CancelStarted → Canceled; whole batches stay; a second cancel is invalid", async () => {
      const { executionId: id } = await ok<{ executionId: string }>([
        "start-flow",
        "--flow-name",
        "to-redshift",
      ]);
      assert.ok(id);
      // InProgress, with two batches committed and the next one held in flight.
      const running = await waitRun(
        id,
        (r) => r.executionStatus === "InProgress" && (r.executionResult?.bytesWritten ?? 0) > 0,
        "the run to be InProgress with a committed batch",
      );
      assert.equal(running.executionStatus, "InProgress");

      const cancel = ["cancel-flow-executions", "--flow-name", "to-redshift", "--execution-ids", id];
      assert.deepEqual(await ok(cancel), { invalidExecutions: [] });
      assert.equal((await record(id))?.executionStatus, "CancelStarted");
      assert.equal(await slow.copiesInFlight(), 1, "the batch in flight is still being written");
      await slow.open(); // the batch in flight completes, whole; no new batch starts

      const done = await waitRun(id, (r) => r.executionStatus !== "CancelStarted", "the cancel to complete");
      assert.equal(done.executionStatus, "Canceled");
      const counts = done.executionResult ?? {};
      assert.ok((counts.recordsProcessed ?? 0) > 0, `recordsProcessed in ${JSON.stringify(counts)}`);
      assert.ok((counts.bytesProcessed ?? 0) > 0, `bytesProcessed in ${JSON.stringify(counts)}`);
      assert.ok((counts.bytesWritten ?? 0) > 0, `bytesWritten in ${JSON.stringify(counts)}`);

      const rows = await slow.count();
      assert.ok(rows > 0, "the committed batches are in the table");
      assert.equal(rows % BATCH, 0, `only whole batches are in the table (${rows} rows)`);
      assert.equal(rows, 3 * BATCH, "the two committed batches and the one in flight at the cancel");
      assert.ok((counts.recordsProcessed ?? 0) >= rows, "the counts cover what was written");

      assert.deepEqual(await ok(cancel), { invalidExecutions: [id] });
      assert.equal((await record(id))?.executionStatus, "Canceled");
    });
  });
});

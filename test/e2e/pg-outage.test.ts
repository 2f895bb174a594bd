/**
 * Issue 8 defect 13: a node survives PostgreSQL dropping its connections. Its queries are made to
 * block on a lock (so clients are checked out, mid-query), then every backend of that node — and only
 * of that node, found by its application_name — is terminated (57P01), as a PostgreSQL restart does.
 * The process must not die; the request in flight answers a retryable 500 at once; the worker keeps
 * its run (its lease survived) and ends it Successful with exact counts; the LISTEN connection is
 * back; readiness recovers by itself. (A real restart of a private cluster is in chaos.test.ts.)
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  AppflowClient,
  DescribeFlowExecutionRecordsCommand,
  InternalServerException,
  StartFlowCommand,
} from "@aws-sdk/client-appflow";
import pg from "pg";
import { dropSchema, PG_URL } from "../helpers/backends.ts";
import {
  createPgProfile,
  createS3ToPgFlow,
  createSlowTable,
  isTerminal,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { spawnServer } from "../helpers/process.ts";
import { waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const skip = await pgSkipReason("postgres");

test("PostgreSQL terminating a node's connections mid-query does not kill it; it recovers by itself", {
  skip,
}, async () => {
  const schema = `o_${randomUUID().replaceAll("-", "")}`;
  const app = `sluice-outage-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-outage-"));
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const locker = new pg.Client({ connectionString: PG_URL, application_name: `${app}-locker` });
  await locker.connect();
  const slow = await createSlowTable(5);
  const env = {
    SLUICE_DATA_DIR: dataDir,
    SLUICE_DATABASE_URL: `${PG_URL}?options=-c%20search_path%3D${schema}&application_name=${app}`,
    SLUICE_BATCH_ROWS: "200",
    SLUICE_REDSHIFT_BATCH_ROWS: "200",
    SLUICE_LEASE_MS: "60000",
    // Only a notification can wake the claim loop in time (proves LISTEN is back after the outage).
    SLUICE_POLL_MS: "600000",
  };
  const node = await spawnServer([], env);
  let exited: string | undefined;
  node.child.once("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  // An API-only front node (no workers): its StartFlow reaches the first node by NOTIFY only.
  const front = await spawnServer([], {
    ...env,
    SLUICE_WORKERS: "0",
    SLUICE_DATABASE_URL: env.SLUICE_DATABASE_URL.replace(app, `${app}-front`),
  });
  // The 500 itself is under test, not the SDK's retries.
  const once = new AppflowClient({
    endpoint: node.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  try {
    await writeCsv(dataDir, "inbox", "rows/data.csv", 2_000);
    await createPgProfile(node.client, "pg");
    await createS3ToPgFlow(node.client, "outage-flow", {
      inBucket: "inbox",
      prefix: "rows",
      profile: "pg",
      table: slow.table,
    });
    const id = (await node.client.send(new StartFlowCommand({ flowName: "outage-flow" }))).executionId!;
    await waitForRun(
      node.client,
      "outage-flow",
      id,
      (r) => (r.executionResult?.bytesWritten ?? 0) > 0,
      "a committed batch",
    );

    // Outage: the node's next store queries block on the lock, holding checked-out clients.
    await locker.query("BEGIN");
    await locker.query(`LOCK TABLE "${schema}".runs IN ACCESS EXCLUSIVE MODE`);
    const inFlight = once.send(new DescribeFlowExecutionRecordsCommand({ flowName: "outage-flow" })).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Blocked: the request, and the worker's next lease write — its checkpoint (the UPDATE that stores
    // counts, retried through the outage for as long as its lease can be alive) or a heartbeat, which the
    // checkpoint then waits behind. Which comes first is a race (a batch and a heartbeat both take about
    // a second); either way the run must end with every row counted.
    const blocked = (like: string) =>
      admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND query ILIKE $2",
        [app, like],
      );
    await waitFor(
      async () =>
        ((await blocked('update "runs" set "lease_expires_at"%')).rows[0].n as number) > 0 &&
        ((await blocked("select%")).rows[0].n as number) > 0,
      "the node's lease write and the request to block on the lock",
    );
    const checkpoint = ((await blocked("%records_processed%")).rows[0].n as number) > 0;
    console.log(`# the worker's ${checkpoint ? "checkpoint" : "heartbeat"} blocked on the lock first`);
    const killedAt = Date.now();
    const killed = await admin.query(
      "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) t",
      [app],
    );
    assert.ok(
      (killed.rows[0].n as number) >= 3,
      "the LISTEN connection and the blocked queries were terminated",
    );
    // Answered while the locker still holds the lock it was blocked on (released only below): a node
    // that retried the query instead would block again and never answer here.
    const err = await inFlight;
    const answeredMs = Date.now() - killedAt;
    assert.ok(err instanceof InternalServerException, `a retryable 500, got ${String(err)}`);
    assert.equal(err.$metadata.httpStatusCode, 500);
    assert.match(err.message, /temporarily unable to reach its database; retry/);
    console.log(`# request in flight answered 500 ${answeredMs} ms after its connection was terminated`);
    await locker.query("ROLLBACK");

    await waitFor(async () => {
      if (exited) throw new Error(`the node ${exited}`);
      const r = await fetch(`${node.url}/health/ready`);
      return r.status === 200;
    }, "readiness to recover");
    // The worker kept its run through the outage (its lease survived): every row, counted exactly.
    const done = await waitForRun(node.client, "outage-flow", id, isTerminal, "the run to end", 60_000);
    assert.equal(
      done.executionStatus,
      "Successful",
      String(done.executionResult?.errorInfo?.executionMessage),
    );
    assert.equal(done.executionResult?.recordsProcessed, 2_000);
    assert.equal(await slow.count(), 2_000);

    // LISTEN is back: pg_stat_activity shows it, and a run queued on the front node is claimed at once.
    await waitFor(async () => {
      const r = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [app],
      );
      return (r.rows[0].n as number) > 0;
    }, "the LISTEN connection to be re-established");
    const next = (await front.client.send(new StartFlowCommand({ flowName: "outage-flow" }))).executionId!;
    await waitForRun(
      front.client,
      "outage-flow",
      next,
      (r) => (r.executionResult?.bytesWritten ?? 0) > 0,
      "the node to claim by notification",
      10_000,
    );
    assert.equal(exited, undefined, "the node process is alive");
  } finally {
    once.destroy();
    await locker.end().catch(() => {});
    await node.kill("SIGKILL");
    await front.kill("SIGKILL");
    await slow.drop();
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema(schema);
  }
});

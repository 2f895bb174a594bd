/**
 * Two Sluice nodes on one PostgreSQL: a run queued through one node is executed by the other, and a
 * cancel sent to the first reaches the worker on the second (LISTEN/NOTIFY, heartbeat as fallback).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CancelFlowExecutionsCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import { getRun } from "../../src/store/runs/list-runs.ts";
import {
  createPgProfile,
  createS3ToPgFlow,
  createSlowTable,
  isTerminal,
  records,
  runRecord,
  type TestTable,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startPeer, startTestServer, type TestServer, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

describe("two nodes sharing PostgreSQL", async () => {
  const skip = await pgSkipReason("postgres");
  let front: TestServer;
  let worker: TestServer;
  let slow: TestTable | undefined;
  before(async () => {
    if (skip) return;
    // The front node executes nothing (no workers): every run must be claimed by the other node.
    // Polling is slow (30 s) so only a notification can wake the worker node in time.
    const engine = { batchRows: 200, redshiftBatchRows: 200 };
    front = await startTestServer("postgres", { engine: { ...engine, workers: 0 } });
    worker = await startPeer(front, {
      engine: { ...engine, workers: 2, pollMs: 30_000, heartbeatMs: 30_000, leaseMs: 90_000 },
    });
    await writeCsv(front.dataDir, "inbox", "big/a.csv", 10_000);
    // 5 ms per row: a run takes 50 s however fast the machine (still going when cancelled), and its
    // 200-row batch in flight about 1 s. Only the cancel can end it within the test's wait.
    slow = await createSlowTable(5);
    await createPgProfile(front.client, "pg");
    await createS3ToPgFlow(front.client, "shared", {
      inBucket: "inbox",
      prefix: "big",
      profile: "pg",
      table: slow.table,
    });
  });
  after(async () => {
    await worker?.close();
    await front?.close();
    await slow?.drop();
  });

  test("a run started on one node runs on the other, and a cancel sent to the first stops it", {
    skip,
  }, async () => {
    const id = (await front.client.send(new StartFlowCommand({ flowName: "shared" }))).executionId!;
    await waitForRun(
      front.client,
      "shared",
      id,
      (r) => (r.executionResult?.recordsProcessed ?? 0) > 0,
      "processing on the worker node",
    );
    const row = await getRun(front.sluice.app.store.db, id);
    assert.equal(row?.lease_owner, worker.sluice.app.workers.owner);
    await front.client.send(new CancelFlowExecutionsCommand({ flowName: "shared", executionIds: [id] }));
    const done = await waitForRun(
      front.client,
      "shared",
      id,
      isTerminal,
      "the cancel to reach the other node",
      15_000,
    );
    assert.equal(done.executionStatus, "Canceled");
    // Both nodes read the same record.
    assert.deepEqual(await runRecord(worker.client, "shared", id), done);
    await waitFor(async () => worker.sluice.app.workers.activeCount === 0, "the worker to be idle");
  });

  test("one clientToken sent to both nodes at once starts one run", { skip }, async () => {
    const send = (t: TestServer) =>
      t.client.send(new StartFlowCommand({ flowName: "shared", clientToken: "same-token" }));
    const results = await Promise.all([send(front), send(worker), send(front), send(worker)]);
    const ids = new Set(results.map((r) => r.executionId));
    assert.equal(ids.size, 1);
    const [id] = [...ids];
    assert.equal((await records(front.client, "shared")).filter((r) => r.executionId === id).length, 1);
    await front.client.send(new CancelFlowExecutionsCommand({ flowName: "shared" }));
    await waitForRun(front.client, "shared", id!, isTerminal, "the run to end");
  });
});

/**
 * CancelFlowExecutions, one test per sentence of the seed document (cancel_flow_executions.rst), each
 * quoting the sentence it proves, with the real @aws-sdk/client-appflow against a live server. Runs
 * are really in progress when cancelled, however fast the machine: they write into a PostgreSQL table
 * whose trigger slows every insert (a 5,000-row input takes 100 s at 20 ms per row), or that holds the
 * batch in flight at a gate until the test opens it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CancelFlowExecutionsCommand,
  CreateFlowCommand,
  StartFlowCommand,
  StopFlowCommand,
} from "@aws-sdk/client-appflow";
import {
  copyTasks,
  createGatedTable,
  createPgProfile,
  createS3ToPgFlow,
  createS3ToS3Flow,
  createSlowTable,
  isTerminal,
  makeBucket,
  records,
  runRecord,
  type TestTable,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const cancel = (s: TestServer, flowName: string, executionIds?: string[]) =>
  s.client.send(new CancelFlowExecutionsCommand({ flowName, executionIds }));
const start = async (s: TestServer, flowName: string) =>
  (await s.client.send(new StartFlowCommand({ flowName }))).executionId!;

describe("CancelFlowExecutions: the seed document, sentence by sentence", async () => {
  const skip = await pgSkipReason("postgres");
  let s: TestServer;
  let slowBig: TestTable;
  before(async () => {
    s = await startTestServer("sqlite", {
      engine: { batchRows: 500, redshiftBatchRows: 200, workers: 4 },
      // One COPY connection: the gated table's gate counts committed rows, so with one batch at a time
      // exactly one batch is held in flight at the cancel (two connections: redshift.test.ts).
      connectors: { Redshift: { copyConnections: 1 } },
    });
    for (const b of ["out-small", "out-x"]) makeBucket(s.dataDir, b);
    await writeCsv(s.dataDir, "inbox", "small/data.csv", 50);
    await writeCsv(s.dataDir, "inbox", "slow/data.csv", 5_000);
    await createS3ToS3Flow(s.client, "small", { inBucket: "inbox", prefix: "small", outBucket: "out-small" });
    await createS3ToS3Flow(s.client, "broken", {
      inBucket: "no-such-bucket",
      prefix: "x",
      outBucket: "out-x",
    });
    if (skip) return;
    slowBig = await createSlowTable(20);
    await createPgProfile(s.client, "pg");
    for (const flowName of ["big", "big2"])
      await createS3ToPgFlow(s.client, flowName, {
        inBucket: "inbox",
        prefix: "slow",
        profile: "pg",
        table: slowBig.table,
      });
  });
  /** The run is claimed and a batch of it is being written (its COPY executing in PostgreSQL). */
  const writing = (flowName: string, id: string) =>
    waitFor(async () => {
      const r = await runRecord(s.client, flowName, id);
      return r?.executionStatus === "InProgress" && (await slowBig.copiesInFlight()) > 0;
    }, `run ${id} to be writing`);
  after(async () => {
    await s?.close();
    await slowBig?.drop();
  });

  test('"Cancels active runs for a flow."', { skip }, async () => {
    const id = await start(s, "big");
    await writing("big", id);
    const res = await cancel(s, "big", [id]);
    assert.deepEqual(res.invalidExecutions, []);
    const done = await waitForRun(s.client, "big", id, isTerminal, "the run to end");
    assert.equal(done.executionStatus, "Canceled");
    // The batch in flight was finished whole (no half batch is in the table), and no more followed.
    assert.equal((await slowBig.count()) % 200, 0, "only whole batches are in the table");
    assert.ok((done.executionResult?.recordsProcessed ?? 0) < 5_000, "stopped before the end of the data");
  });

  test('"You can cancel all of the active runs for a flow, or you can cancel specific runs by providing their IDs."', {
    skip,
  }, async () => {
    const ids = [await start(s, "big2"), await start(s, "big2"), await start(s, "big2")];
    for (const id of ids)
      await waitForRun(s.client, "big2", id, (r) => r.executionStatus === "InProgress", "run");
    // An empty list cancels nothing: only leaving the member out means "all".
    assert.deepEqual((await cancel(s, "big2", [])).invalidExecutions, []);
    for (const id of ids)
      assert.equal((await runRecord(s.client, "big2", id))?.executionStatus, "InProgress");
    assert.deepEqual((await cancel(s, "big2", [ids[0]!])).invalidExecutions, []);
    assert.equal(
      (await waitForRun(s.client, "big2", ids[0]!, isTerminal, "first run")).executionStatus,
      "Canceled",
    );
    for (const id of ids.slice(1)) {
      assert.notEqual((await runRecord(s.client, "big2", id))?.executionStatus, "Canceled");
    }
    const all = await cancel(s, "big2");
    assert.deepEqual(all.invalidExecutions, []);
    for (const id of ids) {
      assert.equal(
        (await waitForRun(s.client, "big2", id, isTerminal, "run to end")).executionStatus,
        "Canceled",
      );
    }
  });

  test('"You can cancel a flow run only when the run is in progress. You can\'t cancel a run that has already completed or failed."', async () => {
    const ok = await start(s, "small");
    assert.equal((await waitForRun(s.client, "small", ok, isTerminal, "run")).executionStatus, "Successful");
    const bad = await start(s, "broken");
    const failed = await waitForRun(s.client, "broken", bad, isTerminal, "run");
    assert.equal(failed.executionStatus, "Error");
    assert.deepEqual((await cancel(s, "small", [ok])).invalidExecutions, [ok]);
    assert.deepEqual((await cancel(s, "broken", [bad])).invalidExecutions, [bad]);
    assert.equal((await runRecord(s.client, "small", ok))?.executionStatus, "Successful");
    assert.equal((await runRecord(s.client, "broken", bad))?.executionStatus, "Error");
  });

  test("\"You also can't cancel a run that's scheduled to occur but hasn't started yet. To prevent a scheduled run, you can deactivate the flow with the StopFlow action.\"", {
    skip,
  }, async () => {
    // A run that doesn't exist yet has no id that could be cancelled: any such id is invalid.
    const future = "00000000-0000-4000-8000-000000000000";
    assert.deepEqual((await cancel(s, "small", [future])).invalidExecutions, [future]);
    // A scheduled flow, active, whose next run is due tomorrow: no run exists before its tick.
    const due = Math.ceil((Date.now() + 86_400_000) / 1000) * 1000;
    await s.client.send(
      new CreateFlowCommand({
        flowName: "scheduled",
        triggerConfig: {
          triggerType: "Scheduled",
          triggerProperties: {
            Scheduled: { scheduleExpression: "rate(1hours)", scheduleStartTime: new Date(due) },
          },
        },
        sourceFlowConfig: {
          connectorType: "S3",
          sourceConnectorProperties: { S3: { bucketName: "inbox", bucketPrefix: "small" } },
        },
        destinationFlowConfigList: [
          { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "out-small" } } },
        ],
        tasks: copyTasks(),
      }),
    );
    await s.client.send(new StartFlowCommand({ flowName: "scheduled" }));
    assert.deepEqual((await cancel(s, "scheduled")).invalidExecutions, []);
    assert.deepEqual(await records(s.client, "scheduled"), []);
    // StopFlow deactivates it, and its tick then starts nothing.
    assert.equal(
      (await s.client.send(new StopFlowCommand({ flowName: "scheduled" }))).flowStatus,
      "Suspended",
    );
    assert.deepEqual(await s.sluice.scheduler.tick(due), []);
    assert.deepEqual(await records(s.client, "scheduled"), []);
    // StopFlow deactivates scheduled/event flows only; on an on-demand flow it is unsupported and
    // leaves runs in progress alone.
    const id = await start(s, "big");
    await writing("big", id);
    await assert.rejects(
      s.client.send(new StopFlowCommand({ flowName: "big" })),
      (e: Error) => e.name === "UnsupportedOperationException",
    );
    assert.equal((await runRecord(s.client, "big", id))?.executionStatus, "InProgress");
    await cancel(s, "big", [id]);
    await waitForRun(s.client, "big", id, isTerminal, "run to end");
  });

  test('"You cannot resume a run after you cancel it."', { skip }, async () => {
    const id = await start(s, "big");
    await writing("big", id);
    await cancel(s, "big", [id]);
    const canceled = await waitForRun(s.client, "big", id, isTerminal, "run to end");
    assert.equal(canceled.executionStatus, "Canceled");
    // Cancelling again is refused (it is no longer in progress), and StartFlow makes a new run.
    assert.deepEqual((await cancel(s, "big", [id])).invalidExecutions, [id]);
    const next = await start(s, "big");
    assert.notEqual(next, id);
    await cancel(s, "big", [next]);
    await waitForRun(s.client, "big", next, isTerminal, "second run to end");
    const again = await runRecord(s.client, "big", id);
    assert.equal(again?.executionStatus, "Canceled");
    assert.deepEqual(again?.executionResult, canceled.executionResult);
  });

  describe("into a batch destination (PostgreSQL through the Redshift connector)", { skip }, () => {
    let slow: TestTable;
    let gated: Awaited<ReturnType<typeof createGatedTable>>;
    before(async () => {
      // 200-row batches at 5 ms per row: each batch is in flight for about a second.
      slow = await createSlowTable(5);
      // Two batches commit, then the third is held in flight until the test opens the gate.
      gated = await createGatedTable(400);
      await createS3ToPgFlow(s.client, "to-pg", {
        inBucket: "inbox",
        prefix: "slow",
        profile: "pg",
        table: slow.table,
      });
      await createS3ToPgFlow(s.client, "to-gate", {
        inBucket: "inbox",
        prefix: "slow",
        profile: "pg",
        table: gated.table,
      });
    });
    after(async () => {
      await slow?.drop();
      await gated?.drop();
    });

    test('"When you send your request, the status for each run becomes CancelStarted. When the cancellation completes, the status becomes Canceled." — and "If you configured the flow to use a batch API …, then the run will finish reading or writing its entire batch of data after the cancellation."', async () => {
      const id = await start(s, "to-gate");
      // Two batches committed, the next one held in flight.
      await waitForRun(s.client, "to-gate", id, (r) => (r.executionResult?.bytesWritten ?? 0) > 0, "a batch");
      await waitFor(async () => (await gated.copiesInFlight()) === 1, "the next batch in flight");
      assert.equal(await gated.count(), 400);
      assert.deepEqual((await cancel(s, "to-gate", [id])).invalidExecutions, []);
      assert.equal((await runRecord(s.client, "to-gate", id))?.executionStatus, "CancelStarted");
      // Repeating the cancel while it is stopping is accepted without change.
      assert.deepEqual((await cancel(s, "to-gate", [id])).invalidExecutions, []);
      assert.equal((await runRecord(s.client, "to-gate", id))?.executionStatus, "CancelStarted");
      await gated.open();
      const done = await waitForRun(s.client, "to-gate", id, isTerminal, "the run to end");
      assert.equal(done.executionStatus, "Canceled");
      // The batch in flight at the cancel was finished and committed whole; no new batch started.
      assert.equal(await gated.count(), 600);
    });

    test('"When you cancel a run, you still incur charges for any data that the run already processed before the cancellation. If the run had already written some data to the flow destination, then that data remains in the destination."', async () => {
      const base = await slow.count();
      const id = await start(s, "to-pg");
      await waitForRun(
        s.client,
        "to-pg",
        id,
        (r) => (r.executionResult?.bytesWritten ?? 0) > 0,
        "a committed batch",
      );
      await cancel(s, "to-pg");
      const done = await waitForRun(s.client, "to-pg", id, isTerminal, "the run to end");
      assert.equal(done.executionStatus, "Canceled");
      const result = done.executionResult!;
      assert.ok((result.recordsProcessed ?? 0) > 0);
      assert.ok((result.bytesProcessed ?? 0) > 0);
      assert.ok((result.bytesWritten ?? 0) > 0);
      // What this run wrote is still in the table, and the counts say how much was processed.
      const written = (await slow.count()) - base;
      assert.ok(written > 0);
      assert.ok((result.recordsProcessed ?? 0) >= written);
    });
  });
});

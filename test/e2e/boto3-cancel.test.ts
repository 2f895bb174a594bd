/**
 * CancelFlowExecutions with boto3: the sentences of the seed document (cancel_flow_executions.rst) that
 * cancel-seed.test.ts proves with the JS SDK, here driven by Python's boto3 (test/e2e/python/cancel_seed.py,
 * one function per sentence). This side starts the server, writes the input data and checks what only it
 * can see (files, table rows); the script drives the API, asserts what the API shows and prints a summary.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  createGatedTable,
  createSlowTable,
  listLocalObjects,
  makeBucket,
  type TestTable,
  writeCsv,
} from "../helpers/flows.ts";
import { describeRun, pythonSkipReason, runPython, summary } from "../helpers/python.ts";
import { PG_URL, startTestServer, type TestServer, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const SCRIPT = fileURLToPath(new URL("./python/cancel_seed.py", import.meta.url));
const skip = await pythonSkipReason();
const pgSkip = skip ?? (await pgSkipReason("postgres"));

describe("CancelFlowExecutions with boto3: the seed document, sentence by sentence", { skip }, () => {
  let s: TestServer;
  const py = async <T = Record<string, unknown>>(name: string, env: Record<string, string> = {}) => {
    const r = await runPython(SCRIPT, [name], { SLUICE_ENDPOINT: s.sluice.url, ...env });
    assert.equal(r.code, 0, `cancel_seed.py ${name} failed: ${describeRun(r)}`);
    return summary<T>(r);
  };

  let slow: TestTable;
  let slowBig: TestTable;
  let gated: Awaited<ReturnType<typeof createGatedTable>>;
  before(async () => {
    s = await startTestServer("sqlite", {
      engine: { batchRows: 500, redshiftBatchRows: 200, workers: 4 },
      // One COPY connection: the gated table's gate counts committed rows, so with one batch at a time
      // exactly one batch is held in flight at the cancel (two connections: redshift.test.ts).
      connectors: { Redshift: { copyConnections: 1 } },
    });
    for (const b of ["out-small", "out-x"]) makeBucket(s.dataDir, b);
    await writeCsv(s.dataDir, "in-bucket", "small/data.csv", 50);
    await writeCsv(s.dataDir, "in-bucket", "slow/data.csv", 5_000);
    // The flows are created with boto3 too: its serialization of CreateFlow is part of what is tested.
    assert.deepEqual(await py("setup"), { flows: ["broken", "small"] });
    if (pgSkip) return;
    // 200-row batches at 5 ms per row: each batch is in flight for about a second.
    slow = await createSlowTable(5);
    // At 20 ms per row the 5,000 rows take 100 s: "big" runs are still going when cancelled.
    slowBig = await createSlowTable(20);
    // Two 200-row batches commit, then the third is held in flight until the test opens the gate.
    gated = await createGatedTable(400);
    await py("setup_pg", {
      SLUICE_PG_URL: PG_URL,
      SLUICE_PG_TABLE: slow.table,
      SLUICE_PG_BIG_TABLE: slowBig.table,
      SLUICE_PG_GATED_TABLE: gated.table,
    });
  });
  after(async () => {
    await s?.close();
    await slow?.drop();
    await slowBig?.drop();
    await gated?.drop();
  });

  test('"Cancels active runs for a flow."', { skip: pgSkip }, async () => {
    const out = await py<{ status: string; recordsProcessed: number }>("cancel_active");
    assert.equal(out.status, "Canceled");
    assert.ok(out.recordsProcessed > 0 && out.recordsProcessed < 5_000, "stopped before the end");
    // The batch in flight was finished whole; no half batch is in the table.
    assert.equal((await slowBig.count()) % 200, 0, "only whole batches are in the table");
  });

  test('"You can cancel all of the active runs for a flow, or you can cancel specific runs by providing their IDs."', {
    skip: pgSkip,
  }, async () => {
    const out = await py("ids_and_all");
    assert.deepEqual(out.emptyList, ["InProgress", "InProgress", "InProgress"], "[] cancels nothing");
    assert.equal((out.afterOne as string[])[0], "Canceled");
    assert.deepEqual(out.final, ["Canceled", "Canceled", "Canceled"]);
    assert.equal((await slowBig.count()) % 200, 0, "only whole batches are in the table");
  });

  test('"You can cancel a flow run only when the run is in progress. You can\'t cancel a run that has already completed or failed."', async () => {
    const out = await py<{ invalid: { completed: string[]; failed: string[] }; statuses: string[] }>(
      "completed_or_failed",
    );
    assert.equal(out.invalid.completed.length, 1);
    assert.equal(out.invalid.failed.length, 1);
    assert.deepEqual(out.statuses, ["Successful", "Error"]);
    // The completed run's output is intact.
    assert.equal(listLocalObjects(s.dataDir, "out-small").length > 0, true);
  });

  test("\"You also can't cancel a run that's scheduled to occur but hasn't started yet. To prevent a scheduled run, you can deactivate the flow with the StopFlow action.\"", async () => {
    const out = await py("not_started");
    assert.deepEqual(out, {
      invalid: ["00000000-0000-4000-8000-000000000000"],
      activated: "Active",
      stopped: "Suspended",
      runs: 0,
    });
  });

  test('"You cannot resume a run after you cancel it."', { skip: pgSkip }, async () => {
    const out = await py<{ first: string; second: string; recancel: string[] }>("no_resume");
    assert.notEqual(out.first, out.second);
    assert.deepEqual(out.recancel, [out.first]);
  });

  test("Exceptions: ValidationException (101 executionIds) and ResourceNotFoundException (unknown flow) are boto3's modeled classes", async () => {
    const out = await py("exceptions");
    assert.deepEqual(out, {
      tooMany: ["ValidationException", 400],
      unknownFlow: ["ResourceNotFoundException", 404],
    });
  });

  describe("into a batch destination (PostgreSQL through the Redshift connector)", { skip: pgSkip }, () => {
    test('"When you send your request, the status for each run becomes CancelStarted. When the cancellation completes, the status becomes Canceled." — and "If you configured the flow to use a batch API …, then the run will finish reading or writing its entire batch of data after the cancellation."', async () => {
      const { executionId } = await py<{ executionId: string }>("cancel_started_begin");
      const env = { SLUICE_RUN_ID: executionId };
      // The third batch is in flight (held at the gate) while boto3 cancels and reads the status.
      await waitFor(async () => (await gated.copiesInFlight()) === 1, "the third batch in flight");
      const checked = await py<{ afterCancel: string; afterRepeat: string }>("cancel_started_check", env);
      assert.deepEqual(checked, { afterCancel: "CancelStarted", afterRepeat: "CancelStarted" });
      assert.equal(await gated.count(), 400, "nothing more committed while the batch was held");
      await gated.open();
      const out = await py<{ final: string; recordsProcessed: number }>("cancel_started_end", env);
      assert.equal(out.final, "Canceled");
      // The batch in flight was finished whole after the cancel, and no batch started after it.
      assert.equal(await gated.count(), 600);
      assert.equal(out.recordsProcessed >= 600, true, "the counts cover what was written");
    });

    test('"If the run had already written some data to the flow destination, then that data remains in the destination."', async () => {
      const base = await slow.count();
      const out = await py<{ recordsProcessed: number }>("data_remains");
      const written = (await slow.count()) - base;
      assert.ok(written > 0, "this run's rows are in the table");
      assert.equal(written % 200, 0, "in whole batches");
      assert.ok(out.recordsProcessed >= written);
    });
  });
});

/**
 * CancelFlowExecutions with boto3: the sentences of the seed document (cancel_flow_executions.rst) that
 * cancel-seed.test.ts proves with the JS SDK, here driven by Python's boto3 (test/e2e/python/cancel_seed.py,
 * one function per sentence). This side starts the server, writes the input data and checks what only it
 * can see (files, table rows); the script drives the API, asserts what the API shows and prints a summary.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createSlowTable, listLocalObjects, makeBucket, writeCsv } from "../helpers/flows.ts";
import { describeRun, pythonSkipReason, runPython, summary } from "../helpers/python.ts";
import { PG_URL, startTestServer, type TestServer } from "../helpers/server.ts";
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

  before(async () => {
    s = await startTestServer("sqlite", { engine: { batchRows: 500, redshiftBatchRows: 200, workers: 4 } });
    for (const b of ["out-big", "out-big2", "out-small", "out-x"]) makeBucket(s.dataDir, b);
    await writeCsv(s.dataDir, "in-bucket", "big/data.csv", 300_000);
    await writeCsv(s.dataDir, "in-bucket", "small/data.csv", 50);
    await writeCsv(s.dataDir, "in-bucket", "slow/data.csv", 5_000);
    // The flows are created with boto3 too: its serialization of CreateFlow is part of what is tested.
    assert.deepEqual(await py("setup"), { flows: ["big", "big2", "broken", "small"] });
  });
  after(async () => s?.close());

  test('"Cancels active runs for a flow."', async () => {
    const out = await py<{ status: string; recordsProcessed: number }>("cancel_active");
    assert.equal(out.status, "Canceled");
    assert.ok(out.recordsProcessed > 0 && out.recordsProcessed < 300_000, "stopped before the end");
    // The single Parquet object was in flight: it is absent, not half-written.
    assert.deepEqual(listLocalObjects(s.dataDir, "out-big"), []);
  });

  test('"You can cancel all of the active runs for a flow, or you can cancel specific runs by providing their IDs."', async () => {
    const out = await py("ids_and_all");
    assert.deepEqual(out.emptyList, ["InProgress", "InProgress", "InProgress"], "[] cancels nothing");
    assert.equal((out.afterOne as string[])[0], "Canceled");
    assert.deepEqual(out.final, ["Canceled", "Canceled", "Canceled"]);
    assert.deepEqual(listLocalObjects(s.dataDir, "out-big2"), []);
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

  test('"You cannot resume a run after you cancel it."', async () => {
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
    let slow: Awaited<ReturnType<typeof createSlowTable>>;
    before(async () => {
      // 200-row batches at 5 ms per row: each batch is in flight for about a second.
      slow = await createSlowTable(5);
      await py("setup_pg", { SLUICE_PG_URL: PG_URL, SLUICE_PG_TABLE: slow.table });
    });
    after(async () => slow?.drop());

    test('"When you send your request, the status for each run becomes CancelStarted. When the cancellation completes, the status becomes Canceled." — and "If you configured the flow to use a batch API …, then the run will finish reading or writing its entire batch of data after the cancellation."', async () => {
      const out = await py<{ afterCancel: string; final: string; recordsProcessed: number }>(
        "cancel_started",
      );
      assert.equal(out.afterCancel, "CancelStarted");
      assert.equal(out.final, "Canceled");
      const rows = await slow.count();
      assert.ok(rows > 0, "the committed batches stay");
      assert.equal(rows % 200, 0, `only whole batches are in the table (${rows} rows)`);
      assert.ok(rows < 5_000, "stopped before the end of the data");
      assert.ok(out.recordsProcessed >= rows, "the counts cover what was written");
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

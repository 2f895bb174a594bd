/**
 * Runs in worker threads, on both backends: a run whose work ignores every signal (its thread blocked,
 * deaf to messages) is terminated by the force, and only then recorded Canceled, with its slot freed
 * for the next queued run. The pipelines in the thread are in test/helpers/thread-executors.ts: a
 * stand-in that blocks, and the real pipeline with a destination that blocks in its write.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { threadExecutor } from "../../src/engine/thread-executor.ts";
import { cancelRuns } from "../../src/store/runs/cancel-runs.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { backends } from "../helpers/backends.ts";
import { ACCOUNT, queueRun, testPool } from "../helpers/engine.ts";
import { copyTasks, csvSource, makeBucket, writeCsv } from "../helpers/flows.ts";
import { waitFor } from "../helpers/server.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

const executor = new URL("../helpers/thread-executors.ts", import.meta.url);

for (const backend of backends) {
  describe(`runs in worker threads (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("a run that ignores every signal is terminated, then recorded Canceled; its slot is freed", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      const threads = threadExecutor({ logLevel: "info", executor, idleThreads: 1 });
      const logs: string[] = [];
      const pool = testPool(store, threads.execute, { leaseMs: 2_000 }, logs);
      try {
        const a = await queueRun(store, "stuck");
        const b = await queueRun(store, "next");
        pool.start();
        // Loading a thread takes seconds on a loaded machine: wait for its checkpoint.
        await waitFor(
          async () => (await getRun(store.db, a.execution_id))?.records_processed === 7,
          "the stuck run's checkpoint",
          60_000,
        );
        const { cancelStarted } = await cancelRuns(
          store.db,
          store.caps,
          ACCOUNT,
          "stuck",
          [a.execution_id],
          Date.now(),
        );
        pool.notifyCancel(cancelStarted);
        const ended = await waitFor(async () => {
          const r = await getRun(store.db, a.execution_id);
          return r?.status === "Canceled" ? r : undefined;
        }, "the forced end");
        assert.match(ended.error_message ?? "", /was terminated/);
        assert.equal(ended.records_processed, 7, "the counts of its last checkpoint");
        const order = (text: string) => logs.findIndex((l) => l.includes(text));
        assert.ok(order("was terminated") >= 0, "the thread was terminated");
        assert.ok(order("was terminated") < order('"run ended"'), "terminated before the end was recorded");
        // The slot is free: the queued run is claimed and runs (in a new thread: the old one is gone).
        await waitFor(
          async () => (await getRun(store.db, b.execution_id))?.status === "Successful",
          "the queued run to run in the freed slot",
          60_000,
        );
        assert.equal((await getRun(store.db, a.execution_id))?.status, "Canceled", "the forced end stands");
      } finally {
        await pool.stop(0);
        await threads.close();
        await done();
      }
    });

    test("the real pipeline with a destination that ignores every signal: terminated, Canceled, slot freed", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      const dataDir = mkdtempSync(join(tmpdir(), "sluice-threads-"));
      await writeCsv(dataDir, "in", "data/a.csv", 1_000);
      makeBucket(dataDir, "out");
      const env = { dataDir, s3: {}, batchRows: 100, sourceParallelism: 1, redshiftBatchRows: 100 };
      const threads = threadExecutor({ logLevel: "info", executor, idleThreads: 1 });
      const logs: string[] = [];
      const pool = testPool(store, threads.execute, { leaseMs: 2_000 }, logs, env);
      try {
        const a = await queueRun(store, "stuck-destination", {
          flowName: "stuck-destination",
          sourceFlowConfig: csvSource("in", "data"),
          destinationFlowConfigList: [
            { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "out" } } },
          ],
          tasks: copyTasks(),
        });
        const b = await queueRun(store, "next");
        pool.start();
        // The first batch went through the destination: the second write is the one that blocks.
        await waitFor(
          async () => (await getRun(store.db, a.execution_id))?.records_processed === 100,
          "the first batch's checkpoint",
          60_000,
        );
        const { cancelStarted } = await cancelRuns(
          store.db,
          store.caps,
          ACCOUNT,
          "stuck-destination",
          [a.execution_id],
          Date.now(),
        );
        pool.notifyCancel(cancelStarted);
        const ended = await waitFor(async () => {
          const r = await getRun(store.db, a.execution_id);
          return r?.status === "Canceled" ? r : undefined;
        }, "the forced end");
        assert.match(ended.error_message ?? "", /was terminated/);
        assert.equal(ended.records_processed, 100);
        assert.equal(ended.records_written, 0);
        await waitFor(
          async () => (await getRun(store.db, b.execution_id))?.status === "Successful",
          "the queued run to run in the freed slot",
          60_000,
        );
      } finally {
        await pool.stop(0);
        await threads.close();
        await done();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

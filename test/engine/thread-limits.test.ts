/**
 * A run's thread is held to the server's limits: it runs at a lower CPU priority than the main thread
 * (SLUICE_RUN_NICE, Linux), and a run that needs more heap than SLUICE_RUN_HEAP_MB ends Error saying so
 * while the server goes on. On SQLite only: neither depends on the store.
 */
import assert from "node:assert/strict";
import { existsSync, readlinkSync } from "node:fs";
import { getPriority } from "node:os";
import { test } from "node:test";
import { threadExecutor } from "../../src/engine/thread-executor.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { queueRun, testPool } from "../helpers/engine.ts";
import { waitFor } from "../helpers/server.ts";
import { freshStore } from "../helpers/store.ts";

const executor = new URL("../helpers/thread-executors.ts", import.meta.url);

async function runOne(flowName: string, opts: { nice?: number; heapMb?: number }) {
  const { store, done } = await freshStore("sqlite");
  const threads = threadExecutor({ logLevel: "silent", executor, idleThreads: 1, ...opts });
  const pool = testPool(store, threads.execute);
  try {
    const run = await queueRun(store, flowName);
    pool.start();
    // Loading a thread takes seconds on a loaded machine.
    return await waitFor(
      async () => {
        const r = await getRun(store.db, run.execution_id);
        return r?.status === "InProgress" ? undefined : r;
      },
      `the ${flowName} run's end`,
      60_000,
    );
  } finally {
    await pool.stop(0);
    await threads.close();
    await done();
  }
}

const linux = existsSync("/proc/thread-self") ? undefined : "thread priorities are set on Linux only";

test("a run's thread runs at the main thread's nice value plus SLUICE_RUN_NICE", {
  skip: linux,
}, async () => {
  const main = getPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()));
  const ended = await runOne("nice", { nice: 5 });
  assert.equal(ended.status, "Successful");
  assert.equal(ended.records_processed, Math.min(19, main + 5));
});

test("a run that needs more than its heap limit ends Error saying so", async () => {
  const ended = await runOne("hog", { heapMb: 32 });
  assert.equal(ended.status, "Error");
  assert.match(ended.error_message ?? "", /more memory than a run may use \(SLUICE_RUN_HEAP_MB, 32 MB\)/);
});

/**
 * Issue 8 defect 5, on both backends: a run whose work ignores the cancel (and the hard stop after the
 * grace period) is ended by the force timer. The force stops the heartbeat, the worker slot stays taken
 * until the work really stops, and when the forced end can't be written the run is left to the reaper,
 * whose expiry check can only fire because the heartbeat no longer renews the lease.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cancelRuns } from "../../src/store/runs/cancel-runs.ts";
import { reapRuns } from "../../src/store/runs/end-run.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { backends } from "../helpers/backends.ts";
import { ACCOUNT, failRunUpdates, queueRun, storeNow, stuckWork, testPool } from "../helpers/engine.ts";
import { waitFor } from "../helpers/server.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

for (const backend of backends) {
  describe(`forced cancel (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("the run is recorded Canceled with its last counts; its slot stays taken until the work stops", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      const work = stuckWork();
      const pool = testPool(store, work.execute, { leaseMs: 400 });
      try {
        const a = await queueRun(store);
        const b = await queueRun(store);
        pool.start();
        await waitFor(async () => work.handles.length === 1, "the first run to start");
        const { cancelStarted } = await cancelRuns(
          store.db,
          store.caps,
          ACCOUNT,
          "f",
          [a.execution_id],
          Date.now(),
        );
        pool.notifyCancel(cancelStarted);
        const ended = await waitFor(async () => {
          const r = await getRun(store.db, a.execution_id);
          return r?.status === "Canceled" ? r : undefined;
        }, "the forced end");
        assert.match(ended.error_message ?? "", /did not stop within the grace period/);
        assert.equal(ended.records_processed, 7);
        assert.equal(work.handles[0]?.hard.signal.aborted, true, "the hard stop was sent first");
        // Long enough for the claim loop to have polled many times: a free slot would have claimed b.
        const leaseOver = (ended.lease_expires_at ?? 0) + 200;
        await waitFor(async () => (await storeNow(store)) > leaseOver, "several claim polls");
        assert.equal(pool.activeCount, 1, "the slot of the stuck work is still taken");
        assert.equal((await getRun(store.db, b.execution_id))?.claimed, 0, "nothing else was claimed");
        work.release();
        await waitFor(
          async () => (await getRun(store.db, b.execution_id))?.status === "Successful",
          "the queued run to run once the slot is free",
        );
        assert.equal((await getRun(store.db, a.execution_id))?.status, "Canceled", "the forced end stands");
      } finally {
        work.release();
        await pool.stop(0);
        await done();
      }
    });

    test("a forced end that fails to be written leaves the run to the reaper: the heartbeat stopped", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      const work = stuckWork();
      const logs: string[] = [];
      const pool = testPool(store, work.execute, { leaseMs: 400 }, logs);
      try {
        const a = await queueRun(store);
        pool.start();
        await waitFor(async () => work.handles.length === 1, "the run to start");
        const fault = await failRunUpdates(store, "NEW.status = 'Canceled'");
        const { cancelStarted } = await cancelRuns(
          store.db,
          store.caps,
          ACCOUNT,
          "f",
          [a.execution_id],
          Date.now(),
        );
        pool.notifyCancel(cancelStarted);
        await waitFor(
          async () => logs.some((l) => l.includes("forcing a run to end failed")),
          "the forced end to fail",
        );
        assert.equal((await getRun(store.db, a.execution_id))?.status, "CancelStarted");
        await fault.heal();
        // Only a lease nobody renews expires: with the heartbeat still running this never reaps.
        const reaped = await waitFor(
          async () => {
            const rows = await reapRuns(store.db, store.caps, Date.now(), {
              onlyExpired: true,
              errorMessage: "lost",
            });
            return rows.find((r) => r.execution_id === a.execution_id);
          },
          "the reaper to end the run",
          5_000,
        );
        assert.equal(reaped.status, "Canceled");
        assert.equal(pool.activeCount, 1, "the slot stays taken while the work goes on");
        work.release();
        await waitFor(async () => pool.activeCount === 0, "the slot to be freed when the work stops");
        assert.equal((await getRun(store.db, a.execution_id))?.status, "Canceled");
      } finally {
        work.release();
        await pool.stop(0);
        await done();
      }
    });
  });
}

/**
 * Issue 8 defect 9, on both backends. A worker whose lease renewals fail stops writing at its local
 * deadline (0.8 × lease after its last successful renewal), before the lease can expire and another
 * node reap the run; and lease times come from the database's clock on PostgreSQL, so a node whose
 * clock is off can't take a lease that looks expired to the others, nor reap a healthy run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ExecuteRun } from "../../src/engine/worker-pool.ts";
import { claimRun } from "../../src/store/runs/claim-run.ts";
import { reapRuns } from "../../src/store/runs/end-run.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { touchRun } from "../../src/store/runs/touch-run.ts";
import { backends } from "../helpers/backends.ts";
import { failRunUpdates, queueRun, storeNow, testPool, zeroCounts } from "../helpers/engine.ts";
import { waitFor } from "../helpers/server.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

const HOUR = 3_600_000;

for (const backend of backends) {
  describe(`leases (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("renewals failing: the worker stops writing before its lease can expire; the reaper ends the run", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      let started = false;
      let stoppedAt: number | undefined;
      let reason: string | undefined;
      const execute: ExecuteRun = async (_run, handle, deps) => {
        await deps.checkpoint(zeroCounts);
        started = true;
        // A well-behaved connector: it stops when the hard signal says so.
        await new Promise((r) => handle.hard.signal.addEventListener("abort", r, { once: true }));
        stoppedAt = Date.now();
        reason = handle.reason;
        return { status: "Successful", counts: zeroCounts };
      };
      const pool = testPool(store, execute, { leaseMs: 3_000, heartbeatMs: 100 });
      try {
        const a = await queueRun(store);
        pool.start();
        await waitFor(async () => started, "the run to start");
        const fault = await failRunUpdates(store, "1 = 1");
        // No renewal succeeds from here on: this is when the lease expires.
        const expires = (await getRun(store.db, a.execution_id))?.lease_expires_at ?? 0;
        await waitFor(async () => stoppedAt !== undefined, "the worker to stop", 10_000);
        assert.equal(reason, "lease-lost");
        assert.ok(stoppedAt! < expires, `stopped ${expires - stoppedAt!} ms before the lease expired`);
        await fault.heal();
        // The worker writes nothing more (no end, no renewal): the lease expires and the reaper ends it.
        const reaped = await waitFor(async () => {
          const rows = await reapRuns(store.db, store.caps, Date.now(), {
            onlyExpired: true,
            errorMessage: "lost",
          });
          return rows.find((r) => r.execution_id === a.execution_id);
        }, "the reaper to end the run");
        assert.equal(reaped.status, "Error");
        assert.equal(reaped.error_message, "lost");
        await waitFor(async () => pool.activeCount === 0, "the slot to be free");
      } finally {
        await pool.stop(0);
        await done();
      }
    });

    test("lease times come from the store's clock, not the calling node's", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const a = await queueRun(store);
        const behind = Date.now() - HOUR; // this node's clock is an hour late
        const before = await storeNow(store);
        await claimRun(store.db, store.caps, "w1", behind, 30_000);
        await touchRun(store.db, store.caps, a.execution_id, "w1", behind, 30_000);
        const after = await storeNow(store);
        const expires = (await getRun(store.db, a.execution_id))?.lease_expires_at ?? 0;
        const ahead = Date.now() + HOUR; // another node's clock is an hour early
        const reaped = await reapRuns(store.db, store.caps, ahead, {
          onlyExpired: true,
          errorMessage: "lost",
        });
        if (backend === "postgres") {
          assert.ok(expires >= before + 30_000 && expires <= after + 30_000, "the database's clock");
          assert.deepEqual(reaped, [], "a node whose clock is ahead doesn't reap a healthy run");
        } else {
          // One process owns a SQLite store: its clock is the only one there is.
          assert.equal(expires, behind + 30_000);
          assert.equal(reaped.length, 1);
        }
      } finally {
        await done();
      }
    });
  });
}

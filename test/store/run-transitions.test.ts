/**
 * The run state machine in the store (DESIGN.md §1), on both backends: cancel semantics, the
 * cancel-vs-finish and cancel-vs-claim races, lease fencing and the reaper.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import type { Store } from "../../src/store/open-store.ts";
import { eventsForRun } from "../../src/store/outbox-sql.ts";
import { cancelRuns } from "../../src/store/runs/cancel-runs.ts";
import { claimRun } from "../../src/store/runs/claim-run.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { endRun, reapRuns } from "../../src/store/runs/end-run.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { touchRun } from "../../src/store/runs/touch-run.ts";
import { backends } from "../helpers/backends.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

const zero = {
  recordsProcessed: 0,
  recordsWritten: 0,
  recordsDropped: 0,
  bytesProcessed: 0,
  bytesWritten: 0,
  putFailures: 0,
};
const snapshot = JSON.stringify({
  flowName: "f",
  sourceFlowConfig: { connectorType: "S3" },
  destinationFlowConfigList: [{ connectorType: "S3" }],
});

async function endReports(store: Store, executionId: string): Promise<number> {
  const events = await eventsForRun(store.db, executionId);
  return events.filter((e) => e.detail_type === "AppFlow End Flow Run Report").length;
}

async function newRun(store: Store, flowName = "f", account = "000000000000", at = Date.now()) {
  return createRun(
    store.db,
    store.caps,
    {
      executionId: randomUUID(),
      accountId: account,
      flowName,
      flowArn: `arn:aws:appflow:us-east-1:${account}:flow/${flowName}`,
      triggerType: "OnDemand",
      flowSnapshot: snapshot,
      now: at,
    },
    1000,
  );
}

for (const backend of backends) {
  describe(`run transitions (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("an unclaimed run goes straight to Canceled; a claimed one to CancelStarted", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const a = await newRun(store);
        const claimed = await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
        assert.equal(claimed?.execution_id, a.execution_id);
        const b = await newRun(store);
        const r = await cancelRuns(store.db, store.caps, "000000000000", "f", undefined, Date.now());
        assert.deepEqual(r.invalidExecutions, []);
        assert.deepEqual(r.cancelStarted, [a.execution_id]);
        assert.deepEqual(r.canceled, [b.execution_id]);
        assert.equal((await getRun(store.db, a.execution_id))?.status, "CancelStarted");
        const bRow = await getRun(store.db, b.execution_id);
        assert.equal(bRow?.status, "Canceled");
        assert.equal(bRow?.records_processed, 0);
        // The never-started run has its end report in the outbox, committed with the status.
        assert.equal(await endReports(store, b.execution_id), 1);
      } finally {
        await done();
      }
    });

    test("ids: request order, duplicates once, CancelStarted accepted again, others invalid", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const a = await newRun(store);
        await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
        const other = await newRun(store, "g");
        const finished = await newRun(store);
        await claimRun(store.db, store.caps, "w1", Date.now(), 30_000); // claims `other` (oldest unclaimed)
        const ids = [
          "nope",
          finished.execution_id,
          a.execution_id,
          other.execution_id,
          "nope",
          a.execution_id,
        ];
        const first = await cancelRuns(store.db, store.caps, "000000000000", "f", ids, Date.now());
        // `finished` was unclaimed: it is Canceled now, so it is valid (accepted) this time.
        assert.deepEqual(first.invalidExecutions, ["nope", other.execution_id]);
        const again = await cancelRuns(store.db, store.caps, "000000000000", "f", ids, Date.now());
        // a is still CancelStarted: accepted; finished is now terminal: invalid.
        assert.deepEqual(again.invalidExecutions, ["nope", finished.execution_id, other.execution_id]);
        assert.deepEqual(again.cancelStarted, []);
        assert.equal((await getRun(store.db, a.execution_id))?.status, "CancelStarted");
        // Another account sees none of these runs.
        const foreign = await cancelRuns(
          store.db,
          store.caps,
          "111111111111",
          "f",
          [a.execution_id],
          Date.now(),
        );
        assert.deepEqual(foreign.invalidExecutions, [a.execution_id]);
        const empty = await cancelRuns(store.db, store.caps, "000000000000", "g", [], Date.now());
        assert.deepEqual(empty, { invalidExecutions: [], cancelStarted: [], canceled: [] });
        assert.equal((await getRun(store.db, other.execution_id))?.status, "InProgress");
      } finally {
        await done();
      }
    });

    test("cancel vs finish: whichever commits first wins, exactly one terminal status", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        for (let i = 0; i < 20; i++) {
          const run = await newRun(store);
          await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
          const [ended, cancel] = await Promise.all([
            endRun(store.db, run.execution_id, "w1", { status: "Successful", counts: zero }, Date.now()),
            cancelRuns(store.db, store.caps, "000000000000", "f", [run.execution_id], Date.now()),
          ]);
          const row = await getRun(store.db, run.execution_id);
          if (cancel.invalidExecutions.length === 1) {
            assert.equal(row?.status, "Successful");
          } else {
            // The cancel committed first: the finish became Canceled.
            assert.equal(ended?.status, "Canceled");
            assert.equal(row?.status, "Canceled");
          }
          assert.equal(await endReports(store, run.execution_id), 1, "one end report per run");
        }
      } finally {
        await done();
      }
    });

    test("cancel vs claim: a run cancelled before its claim is never started", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        for (let i = 0; i < 20; i++) {
          const run = await newRun(store);
          const [claimed] = await Promise.all([
            claimRun(store.db, store.caps, "w1", Date.now(), 30_000),
            cancelRuns(store.db, store.caps, "000000000000", "f", undefined, Date.now()),
          ]);
          const row = await getRun(store.db, run.execution_id);
          if (claimed) assert.equal(row?.status, "CancelStarted");
          else assert.equal(row?.status, "Canceled");
          if (claimed)
            await endRun(store.db, run.execution_id, "w1", { status: "Canceled", counts: zero }, Date.now());
        }
      } finally {
        await done();
      }
    });

    test("writes are fenced on the lease; the reaper ends runs whose lease expired", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const t0 = Date.now();
        const a = await newRun(store);
        await claimRun(store.db, store.caps, "w1", t0, 1_000);
        const b = await newRun(store);
        await claimRun(store.db, store.caps, "w1", t0, 1_000);
        assert.equal(await touchRun(store.db, a.execution_id, "intruder", t0, 1_000), undefined);
        assert.equal(await touchRun(store.db, a.execution_id, "w1", t0, 1_000), "InProgress");
        await cancelRuns(store.db, store.caps, "000000000000", "f", [b.execution_id], t0);
        assert.deepEqual(await reapRuns(store.db, t0 + 500, { onlyExpired: true, errorMessage: "lost" }), []);
        const reaped = await reapRuns(store.db, t0 + 5_000, {
          onlyExpired: true,
          errorMessage: "worker lost",
        });
        assert.equal(reaped.length, 2);
        const ra = await getRun(store.db, a.execution_id);
        assert.equal(ra?.status, "Error");
        assert.equal(ra?.error_message, "worker lost");
        assert.equal((await getRun(store.db, b.execution_id))?.status, "Canceled");
        // The old worker can no longer write: its run is terminal.
        assert.equal(
          await endRun(store.db, a.execution_id, "w1", { status: "Successful", counts: zero }, t0),
          undefined,
        );
        assert.equal((await getRun(store.db, a.execution_id))?.status, "Error");
      } finally {
        await done();
      }
    });
  });
}

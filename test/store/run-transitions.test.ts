/**
 * The run state machine in the store (DESIGN.md §1), on both backends: cancel semantics, the
 * cancel-vs-finish and cancel-vs-claim races (each order forced with the store's interleave hook
 * points, so both outcomes are tested every time), lease fencing and the reaper.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { insertFlow } from "../../src/store/flows-sql.ts";
import type { Store } from "../../src/store/open-store.ts";
import { eventsForRun } from "../../src/store/outbox-sql.ts";
import { cancelRuns } from "../../src/store/runs/cancel-runs.ts";
import { claimRun } from "../../src/store/runs/claim-run.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { endRun, reapRuns } from "../../src/store/runs/end-run.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { emptyCounts, touchRun } from "../../src/store/runs/touch-run.ts";
import { backends } from "../helpers/backends.ts";
import { blockedBehind, Interleaver, tracked } from "../helpers/interleave.ts";
import { waitFor } from "../helpers/server.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

const zero = emptyCounts();
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
  await insertFlow(store.db, flowRow(account, flowName, at)); // a run needs its flow (no-op when it exists)
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

    // The races, each interleaving forced: one transaction is held at its decision point (its write
    // done, its commit next) while the other starts and blocks behind it, then it commits.
    test("cancel vs finish, cancel commits first: the finished run ends Canceled", { skip }, async (t) => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const run = await newRun(store);
        await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
        const held = il.hold("cancel-runs");
        const cancel = cancelRuns(store.db, store.caps, "000000000000", "f", [run.execution_id], Date.now());
        const trx = await held.reached;
        const end = tracked(
          endRun(
            store.db,
            run.execution_id,
            "w1",
            { status: "Successful", counts: zero },
            Date.now(),
            store.caps,
          ),
        );
        await blockedBehind(store, trx, end);
        held.release();
        const [c, ended] = await Promise.all([cancel, end.promise]);
        assert.deepEqual(c.cancelStarted, [run.execution_id]);
        assert.equal(ended?.status, "Canceled");
        assert.equal((await getRun(store.db, run.execution_id))?.status, "Canceled");
        assert.equal(await endReports(store, run.execution_id), 1, "one end report");
        t.diagnostic(
          `cancel first → ${ended?.status}, invalidExecutions=${JSON.stringify(c.invalidExecutions)}`,
        );
      } finally {
        await done();
      }
    });

    test("cancel vs finish, finish commits first: the run is Successful and the id invalid", {
      skip,
    }, async (t) => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const run = await newRun(store);
        await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
        const held = il.hold("end-run");
        const end = endRun(
          store.db,
          run.execution_id,
          "w1",
          { status: "Successful", counts: zero },
          Date.now(),
          store.caps,
        );
        const trx = await held.reached;
        const cancel = tracked(
          cancelRuns(store.db, store.caps, "000000000000", "f", [run.execution_id], Date.now()),
        );
        await blockedBehind(store, trx, cancel);
        held.release();
        const [ended, c] = await Promise.all([end, cancel.promise]);
        assert.equal(ended?.status, "Successful");
        assert.deepEqual(c.invalidExecutions, [run.execution_id]);
        assert.deepEqual(c.cancelStarted, []);
        assert.equal((await getRun(store.db, run.execution_id))?.status, "Successful");
        assert.equal(await endReports(store, run.execution_id), 1, "one end report");
        t.diagnostic(
          `finish first → ${ended?.status}, invalidExecutions=${JSON.stringify(c.invalidExecutions)}`,
        );
      } finally {
        await done();
      }
    });

    test("cancel vs claim, cancel commits first: the run is never started", { skip }, async (t) => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const run = await newRun(store);
        const held = il.hold("cancel-runs");
        const cancel = cancelRuns(store.db, store.caps, "000000000000", "f", undefined, Date.now());
        const trx = await held.reached;
        const claim = tracked(claimRun(store.db, store.caps, "w1", Date.now(), 30_000));
        // PostgreSQL: the claim skips the locked row (SKIP LOCKED) and finds nothing while the cancel
        // is still open; SQLite: it waits for the cancel's transaction.
        if (store.caps.dialect === "postgres") assert.equal(await claim.promise, undefined);
        else await blockedBehind(store, trx, claim);
        held.release();
        const [c, claimed] = await Promise.all([cancel, claim.promise]);
        assert.equal(claimed, undefined);
        assert.deepEqual(c.canceled, [run.execution_id]);
        const row = await getRun(store.db, run.execution_id);
        assert.equal(row?.status, "Canceled");
        assert.equal(row?.claimed, 0);
        assert.equal(await endReports(store, run.execution_id), 1, "one end report");
        t.diagnostic(`cancel first → claim found ${claimed ? "a run" : "nothing"}, run ${row?.status}`);
      } finally {
        await done();
      }
    });

    test("cancel vs claim, claim commits first: the claimed run is CancelStarted", { skip }, async (t) => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const run = await newRun(store);
        const held = il.hold("claim-run");
        const claim = claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
        const trx = await held.reached;
        const cancel = tracked(cancelRuns(store.db, store.caps, "000000000000", "f", undefined, Date.now()));
        await blockedBehind(store, trx, cancel);
        held.release();
        const [claimed, c] = await Promise.all([claim, cancel.promise]);
        assert.equal(claimed?.execution_id, run.execution_id);
        assert.deepEqual(c.cancelStarted, [run.execution_id]);
        assert.equal((await getRun(store.db, run.execution_id))?.status, "CancelStarted");
        // The worker confirms its stop: Canceled, one end report.
        const ended = await endRun(
          store.db,
          run.execution_id,
          "w1",
          { status: "Canceled", counts: zero },
          Date.now(),
        );
        assert.equal(ended?.status, "Canceled");
        assert.equal(await endReports(store, run.execution_id), 1, "one end report");
        t.diagnostic(`claim first → cancel answered CancelStarted, run ${ended?.status}`);
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
        assert.equal(await touchRun(store.db, store.caps, a.execution_id, "intruder", t0, 1_000), undefined);
        assert.equal(await touchRun(store.db, store.caps, a.execution_id, "w1", t0, 1_000), "InProgress");
        await cancelRuns(store.db, store.caps, "000000000000", "f", [b.execution_id], t0);
        const reap = (now: number) =>
          reapRuns(store.db, store.caps, now, { onlyExpired: true, errorMessage: "worker lost" });
        assert.deepEqual(await reap(t0 + 500), []);
        // On PostgreSQL leases run on the database's clock (an injected time can't expire them): wait
        // for the real second to pass there.
        const reaped: unknown[] = [];
        await waitFor(async () => {
          reaped.push(...(await reap(Math.max(Date.now(), t0 + 5_000))));
          return reaped.length === 2;
        }, "both leases to expire");
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

/**
 * Writes to a flow row and what hangs off it, on both backends: DeleteFlow is one decision against
 * StartFlow (both orders forced), every flow write is a compare-and-set on row_version (StopFlow
 * vs UpdateFlow, a tick vs UpdateFlow), and only a Successful run moves the incremental watermark.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { ResourceNotFoundError } from "../../src/domain/errors.ts";
import { deleteIdleFlow, getFlow, insertFlow, updateFlowRow } from "../../src/store/flows-sql.ts";
import type { Store } from "../../src/store/open-store.ts";
import { claimRun } from "../../src/store/runs/claim-run.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { endRun } from "../../src/store/runs/end-run.ts";
import { activeRunIds } from "../../src/store/runs/list-runs.ts";
import { emptyCounts } from "../../src/store/runs/touch-run.ts";
import { advanceTick, setSchedule } from "../../src/store/schedule-sql.ts";
import { getWatermark } from "../../src/store/watermark-sql.ts";
import { backends } from "../helpers/backends.ts";
import { blockedBehind, Interleaver, tracked } from "../helpers/interleave.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

const ACCOUNT = "000000000000";
const zero = emptyCounts();

function startRun(store: Store, flowName: string, window?: { start?: number; end: number }) {
  return createRun(
    store.db,
    store.caps,
    {
      executionId: randomUUID(),
      accountId: ACCOUNT,
      flowName,
      flowArn: `arn:aws:appflow:us-east-1:${ACCOUNT}:flow/${flowName}`,
      triggerType: window ? "Scheduled" : "OnDemand",
      flowSnapshot: JSON.stringify({
        flowName,
        sourceFlowConfig: { connectorType: "S3" },
        destinationFlowConfigList: [{ connectorType: "S3" }],
      }),
      now: Date.now(),
      ...(window ? { window } : {}),
    },
    1000,
  );
}

for (const backend of backends) {
  describe(`flow writes (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("DeleteFlow vs StartFlow, delete first: the flow is gone and the start fails", {
      skip,
    }, async (t) => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const row = flowRow(ACCOUNT, "doomed");
        await insertFlow(store.db, row);
        const held = il.hold("delete-flow");
        const del = deleteIdleFlow(store.db, store.caps, row);
        const trx = await held.reached; // no active run seen; the delete is next
        const start = tracked(startRun(store, "doomed"));
        await blockedBehind(store, trx, start);
        held.release();
        assert.deepEqual(await del, { deleted: true });
        await assert.rejects(start.promise, ResourceNotFoundError);
        assert.deepEqual(await activeRunIds(store.db, ACCOUNT, "doomed"), [], "no run of a deleted flow");
        assert.equal(await getFlow(store.db, ACCOUNT, "doomed"), undefined);
        t.diagnostic("delete first → deleted; StartFlow → ResourceNotFoundException");
      } finally {
        await done();
      }
    });

    test("DeleteFlow vs StartFlow, start first: the delete sees the run and deletes nothing", {
      skip,
    }, async (t) => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const row = flowRow(ACCOUNT, "kept");
        await insertFlow(store.db, row);
        const held = il.hold("create-run");
        const start = startRun(store, "kept");
        const trx = await held.reached;
        const del = tracked(deleteIdleFlow(store.db, store.caps, row));
        await blockedBehind(store, trx, del);
        held.release();
        const run = await start;
        assert.deepEqual(await del.promise, { deleted: false, activeRuns: 1 });
        assert.ok(await getFlow(store.db, ACCOUNT, "kept"));
        assert.deepEqual(await activeRunIds(store.db, ACCOUNT, "kept"), [run.execution_id]);
        // Once the run is terminal the delete goes through, run records included.
        await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
        await endRun(store.db, run.execution_id, "w1", { status: "Successful", counts: zero }, Date.now());
        assert.deepEqual(await deleteIdleFlow(store.db, store.caps, row), { deleted: true });
        t.diagnostic("start first → run InProgress; DeleteFlow → Conflict (1 active run)");
      } finally {
        await done();
      }
    });

    test("StopFlow between UpdateFlow's read and write: the update's stale write is refused", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await insertFlow(store.db, { ...flowRow(ACCOUNT, "sched"), trigger_type: "Scheduled" });
        const read = (await getFlow(store.db, ACCOUNT, "sched"))!; // UpdateFlow's read: Active, v1
        assert.equal(
          await setSchedule(store.db, ACCOUNT, "sched", read.row_version, "Suspended", null),
          true,
        );
        // UpdateFlow writes what it decided from its read (still Active): refused, it must re-read.
        assert.equal(
          await updateFlowRow(store.db, ACCOUNT, "sched", read.row_version, { flow_status: "Active" }),
          false,
        );
        assert.equal((await getFlow(store.db, ACCOUNT, "sched"))?.flow_status, "Suspended");
        // And the other way round: a StopFlow decided on a row UpdateFlow changed since is refused.
        const now = (await getFlow(store.db, ACCOUNT, "sched"))!;
        assert.equal(
          await updateFlowRow(store.db, ACCOUNT, "sched", now.row_version, { description: "x" }),
          true,
        );
        assert.equal(await setSchedule(store.db, ACCOUNT, "sched", now.row_version, "Active", 1), false);
      } finally {
        await done();
      }
    });

    test("a scheduler tick bumps row_version: an UpdateFlow read before it re-reads", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await insertFlow(store.db, {
          ...flowRow(ACCOUNT, "ticking"),
          trigger_type: "Scheduled",
          next_fire_at: 1_000,
        });
        const read = (await getFlow(store.db, ACCOUNT, "ticking"))!;
        assert.equal(await advanceTick(store.db, ACCOUNT, "ticking", 1_000, 2_000), true);
        // Written back, UpdateFlow's stale next_fire_at would fire the tick just fired again.
        assert.equal(
          await updateFlowRow(store.db, ACCOUNT, "ticking", read.row_version, { next_fire_at: 1_000 }),
          false,
        );
        assert.equal((await getFlow(store.db, ACCOUNT, "ticking"))?.next_fire_at, 2_000);
      } finally {
        await done();
      }
    });

    test("only a Successful run moves the watermark, in its ending transaction", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await insertFlow(store.db, flowRow(ACCOUNT, "inc"));
        const end = async (
          status: "Successful" | "Error" | "Canceled",
          window: { start?: number; end: number },
        ) => {
          const run = await startRun(store, "inc", window);
          await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
          await endRun(store.db, run.execution_id, "w1", { status, counts: zero }, Date.now());
        };
        await end("Successful", { end: 1_000 });
        assert.equal(await getWatermark(store.db, ACCOUNT, "inc"), 1_000);
        await end("Error", { start: 1_000, end: 2_000 });
        await end("Canceled", { start: 1_000, end: 3_000 });
        assert.equal(await getWatermark(store.db, ACCOUNT, "inc"), 1_000, "a failed window is pulled again");
        await end("Successful", { start: 1_000, end: 4_000 });
        assert.equal(await getWatermark(store.db, ACCOUNT, "inc"), 4_000);
        await end("Successful", { start: 1_000, end: 3_500 });
        assert.equal(await getWatermark(store.db, ACCOUNT, "inc"), 4_000, "never moves back");
      } finally {
        await done();
      }
    });
  });
}

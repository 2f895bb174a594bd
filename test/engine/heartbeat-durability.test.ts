/**
 * Issue 8 defect 10 (SQLite): heartbeats and progress writes commit with `synchronous = NORMAL` (no
 * fsync on the event loop), every status transition still with FULL (an fsync: it survives a power
 * loss), also when they interleave. A trigger records the connection's setting at each UPDATE of
 * `runs`, as SQLite itself sees it. (PostgreSQL's durability is the server's, not changed here.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { cancelRuns } from "../../src/store/runs/cancel-runs.ts";
import { claimRun } from "../../src/store/runs/claim-run.ts";
import { endRun } from "../../src/store/runs/end-run.ts";
import { touchRun } from "../../src/store/runs/touch-run.ts";
import { ACCOUNT, queueRun, zeroCounts } from "../helpers/engine.ts";
import { freshStore } from "../helpers/store.ts";

const NORMAL = 1;
const FULL = 2;

test("heartbeats commit without an fsync, status transitions with one, even interleaved", async () => {
  const { store, done } = await freshStore("sqlite");
  try {
    await sql`CREATE TABLE sync_log (transition INTEGER, sync INTEGER)`.execute(store.db);
    // Every store write of a run sets updated_at; the store's own trigger that then rewrites the
    // run's record_json (record-json-sql.ts) sets only that column, so it isn't logged.
    await sql`CREATE TRIGGER log_sync AFTER UPDATE OF updated_at ON runs BEGIN
        INSERT INTO sync_log SELECT (OLD.status IS NOT NEW.status OR OLD.claimed IS NOT NEW.claimed), synchronous
        FROM pragma_synchronous; END`.execute(store.db);
    const run = await queueRun(store);
    await claimRun(store.db, store.caps, "w1", Date.now(), 30_000);
    const beat = () =>
      touchRun(store.db, store.caps, run.execution_id, "w1", Date.now(), 30_000, {
        ...zeroCounts,
        recordsProcessed: 1,
      });
    await Promise.all([
      ...Array.from({ length: 10 }, beat),
      cancelRuns(store.db, store.caps, ACCOUNT, "f", [run.execution_id], Date.now()),
      ...Array.from({ length: 10 }, beat),
    ]);
    await endRun(store.db, run.execution_id, "w1", { status: "Canceled", counts: zeroCounts }, Date.now());
    const log = (await sql<{ transition: number; sync: number }>`SELECT * FROM sync_log`.execute(store.db))
      .rows;
    const beats = log.filter((r) => r.transition === 0);
    const transitions = log.filter((r) => r.transition === 1);
    assert.equal(beats.length, 20, "every heartbeat wrote");
    assert.equal(transitions.length, 3, "claim, cancel, end");
    assert.deepEqual(new Set(beats.map((r) => r.sync)), new Set([NORMAL]), "heartbeats: no fsync");
    assert.deepEqual(new Set(transitions.map((r) => r.sync)), new Set([FULL]), "transitions: fsync");
    const after = await sql<{ synchronous: number }>`SELECT synchronous FROM pragma_synchronous`.execute(
      store.db,
    );
    assert.equal(after.rows[0]?.synchronous, FULL, "the connection is left at FULL");
  } finally {
    await done();
  }
});

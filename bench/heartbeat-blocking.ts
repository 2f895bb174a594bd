/**
 * `npx tsx bench/heartbeat-blocking.ts [dir]`: how long 1,000 SQLite heartbeats block the event loop,
 * with every heartbeat committed `synchronous = FULL` (an fsync each, as before issue 8) and with the
 * heartbeat path the store uses now (`synchronous = NORMAL` for that one write). Put `dir` on the disk
 * the data dir lives on: on tmpfs an fsync costs nothing and both figures look alike.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { openStore, type Store } from "../src/store/open-store.ts";
import { claimRun } from "../src/store/runs/claim-run.ts";
import { createRun } from "../src/store/runs/create-run.ts";
import { touchRun } from "../src/store/runs/touch-run.ts";

const BEATS = 1_000;

async function measure(store: Store, label: string, beat: (id: string) => Promise<unknown>) {
  const id = randomUUID();
  await createRun(
    store.db,
    store.caps,
    {
      executionId: id,
      accountId: "000000000000",
      flowName: "f",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/f",
      triggerType: "OnDemand",
      flowSnapshot: JSON.stringify({
        sourceFlowConfig: { connectorType: "S3" },
        destinationFlowConfigList: [{ connectorType: "S3" }],
      }),
      now: Date.now(),
    },
    1000,
  );
  await claimRun(store.db, store.caps, "w", Date.now(), 30_000);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < BEATS; i++) {
    await beat(id);
    // Yield to timers between beats, as heartbeats spread over time would.
    await new Promise((r) => setImmediate(r));
  }
  const total = performance.now() - t0;
  // better-sqlite3 runs each statement (and its fsync) synchronously: loop-active time is blocking time.
  const active = performance.eventLoopUtilization(elu0).active;
  h.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  console.log(
    `${label.padEnd(34)} ${total.toFixed(0)} ms for ${BEATS}; loop busy ${(active / BEATS).toFixed(3)} ms/beat; ` +
      `loop delay p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms`,
  );
}

const base = process.argv[2] ?? tmpdir();
const dir = mkdtempSync(join(base, "sluice-hb-"));
try {
  const store = await openStore({ dataDir: dir });
  // Warm up (statement cache, JIT) so neither figure pays for it.
  await measure(store, "(warm-up)", (id) => touchRun(store.db, store.caps, id, "w", Date.now(), 30_000));
  // The write before issue 8: the same UPDATE, committed with the connection's synchronous = FULL.
  const before = (id: string) =>
    store.db
      .updateTable("runs")
      .set({ lease_expires_at: Date.now() + 30_000, updated_at: Date.now() })
      .where("execution_id", "=", id)
      .where("lease_owner", "=", "w")
      .returning("status")
      .executeTakeFirst();
  await measure(store, "before: synchronous = FULL", before);
  await measure(store, "after: touchRun (NORMAL for it)", (id) =>
    touchRun(store.db, store.caps, id, "w", Date.now(), 30_000),
  );
  await measure(store, "before, again", before);
  await measure(store, "after, again", (id) => touchRun(store.db, store.caps, id, "w", Date.now(), 30_000));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A real WorkerPool on a real store, with an executor standing in for a connector that misbehaves in
 * ways the real connectors can't be made to (ignore every AbortSignal, never settle), and faults
 * injected into the real database (a trigger that makes chosen writes to `runs` fail).
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { ConnectorEnvironment } from "../../src/connectors/types.ts";
import type { ExecuteRun, WorkerPoolOptions } from "../../src/engine/worker-pool.ts";
import { WorkerPool } from "../../src/engine/worker-pool.ts";
import { createLogger } from "../../src/logger.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import type { Store } from "../../src/store/open-store.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { emptyCounts, type RunCounts } from "../../src/store/runs/touch-run.ts";
import { flowRow } from "./store.ts";

export const ACCOUNT = "000000000000";
export const zeroCounts: RunCounts = emptyCounts();

/** `snapshot`: the flow definition the run executes (default: a bare S3 → S3 flow, for stand-in executors). */
export async function queueRun(store: Store, flowName = "f", snapshot?: Record<string, unknown>) {
  await insertFlow(store.db, flowRow(ACCOUNT, flowName)); // a run needs its flow (no-op when it exists)
  return createRun(
    store.db,
    store.caps,
    {
      executionId: randomUUID(),
      accountId: ACCOUNT,
      flowName,
      flowArn: `arn:aws:appflow:us-east-1:${ACCOUNT}:flow/${flowName}`,
      triggerType: "OnDemand",
      flowSnapshot: JSON.stringify(
        snapshot ?? {
          flowName,
          sourceFlowConfig: { connectorType: "S3" },
          destinationFlowConfigList: [{ connectorType: "S3" }],
        },
      ),
      now: Date.now(),
    },
    1000,
  );
}

/** `logs`, when given, receives the pool's log lines (what an operator sees is observable). */
export function testPool(
  store: Store,
  execute: ExecuteRun,
  opts: Partial<WorkerPoolOptions> = {},
  logs?: string[],
  /** The connectors' environment, for executors that run real connectors. */
  env?: ConnectorEnvironment,
): WorkerPool {
  const log = logs
    ? createLogger("info", { write: (line: string) => void logs.push(line) })
    : createLogger(process.env.SLUICE_TEST_LOG ?? "silent");
  return new WorkerPool(
    store,
    {
      workers: 1,
      leaseMs: 1_000,
      heartbeatMs: 50,
      pollMs: 50,
      cancelGraceMs: 50,
      cancelForceMs: 100,
      maxRunMs: 600_000,
      ...opts,
    },
    {
      env: env ?? ({} as never), // the stand-in executors use no connector
      log,
      now: () => Date.now(),
      resolveProfile: () => Promise.reject(new Error("no profiles in engine tests")),
    },
    log,
    execute,
  );
}

/**
 * An executor whose work ignores both signals and ends only when the test says so. It checkpoints
 * once (recordsProcessed 7) so the counts it had are known.
 */
export function stuckWork() {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const handles: Parameters<ExecuteRun>[1][] = [];
  const execute: ExecuteRun = async (_run, handle, deps) => {
    handles.push(handle);
    await deps.checkpoint({ ...zeroCounts, recordsProcessed: 7 });
    await released;
    return { status: "Successful", counts: { ...zeroCounts, recordsProcessed: 7 } };
  };
  return { execute, release, handles };
}

/**
 * Makes every UPDATE of `runs` matching `when` (a condition on NEW, the same SQL on both backends)
 * fail in the database itself; `heal()` removes the fault.
 */
export async function failRunUpdates(store: Store, when: string): Promise<{ heal(): Promise<void> }> {
  const name = `fault_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  if (store.caps.dialect === "sqlite") {
    await sql
      .raw(`CREATE TRIGGER ${name} BEFORE UPDATE ON runs WHEN ${when}
        BEGIN SELECT RAISE(ABORT, 'injected fault: this write fails'); END`)
      .execute(store.db);
    return { heal: async () => void (await sql.raw(`DROP TRIGGER ${name}`).execute(store.db)) };
  }
  await sql
    .raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault: this write fails'; END $$`)
    .execute(store.db);
  await sql
    .raw(
      `CREATE TRIGGER ${name} BEFORE UPDATE ON runs FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}()`,
    )
    .execute(store.db);
  return {
    heal: async () => {
      await sql.raw(`DROP TRIGGER ${name} ON runs`).execute(store.db);
      await sql.raw(`DROP FUNCTION ${name}()`).execute(store.db);
    },
  };
}

/** The store's clock for leases, in epoch ms: the database's on PostgreSQL, the process's on SQLite. */
export async function storeNow(store: Store): Promise<number> {
  if (store.caps.dialect === "sqlite") return Date.now();
  const r = await sql<{ t: number }>`SELECT (extract(epoch from now()) * 1000)::bigint AS t`.execute(
    store.db,
  );
  return Number(r.rows[0]?.t);
}

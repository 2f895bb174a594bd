/**
 * Scheduled flows' ticks. A tick fires once across all nodes: the run is created in the same
 * transaction as a compare-and-set of `next_fire_at` from the tick being fired to the next one.
 * Every write here bumps `row_version`, like UpdateFlow's, so no read-modify-write of a flow row
 * (UpdateFlow, StopFlow, a tick) can write back a state another one changed meanwhile.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export async function dueFlows(db: Kysely<Database>, now: number, limit: number) {
  return db
    .selectFrom("flows")
    .selectAll()
    .where("trigger_type", "=", "Scheduled")
    .where("flow_status", "=", "Active")
    .where("next_fire_at", "<=", now)
    .orderBy("next_fire_at")
    .limit(limit)
    .execute();
}

/** Moves the flow past `tick`; false when another node (or a StopFlow) got there first. */
export async function advanceTick(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  tick: number,
  next: number | null,
): Promise<boolean> {
  const res = await db
    .updateTable("flows")
    .set((eb) => ({ next_fire_at: next, last_fired_at: tick, row_version: eb("row_version", "+", 1) }))
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("flow_status", "=", "Active")
    .where("next_fire_at", "=", tick)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** StartFlow/StopFlow of a schedule: compare-and-set on the version read; false when it changed. */
export async function setSchedule(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  expectedVersion: number,
  status: string,
  nextFireAt: number | null,
): Promise<boolean> {
  const res = await db
    .updateTable("flows")
    .set({ flow_status: status, next_fire_at: nextFireAt, row_version: expectedVersion + 1 })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("row_version", "=", expectedVersion)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The statuses of a flow's latest runs, newest first (for flowErrorDeactivationThreshold). */
export async function recentStatuses(db: Kysely<Database>, accountId: string, flowName: string, n: number) {
  const rows = await db
    .selectFrom("runs")
    .select("status")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .orderBy("created_at", "desc")
    .limit(n)
    .execute();
  return rows.map((r) => r.status);
}

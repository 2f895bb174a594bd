/**
 * Scheduled flows' ticks. A tick fires once across all nodes: the run is created in the same
 * transaction as a compare-and-set of `next_fire_at` from the tick being fired to the next one.
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
    .set({ next_fire_at: next, last_fired_at: tick })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("flow_status", "=", "Active")
    .where("next_fire_at", "=", tick)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function setSchedule(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  status: string,
  nextFireAt: number | null,
): Promise<boolean> {
  const res = await db
    .updateTable("flows")
    .set({ flow_status: status, next_fire_at: nextFireAt })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
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

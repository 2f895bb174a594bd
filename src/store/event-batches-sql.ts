/**
 * An event flow's batch in delivery, recorded on its subscription row before its run starts (in the
 * transaction that creates the run): the run's execution id and the replay id of the batch's last
 * event. The batch is the events after the stored replay id up to that one. A node that resumes the
 * flow after a crash takes that same run over and delivers exactly those events again, so the objects
 * it writes have the same names and replace whatever the lost attempt committed.
 */
import { type Kysely, sql } from "kysely";
import type { StoreCapabilities } from "./open-store.ts";
import { leaseNow, leaseUntil } from "./runs/lease-clock.ts";
import type { Database, RunsTable } from "./schema.ts";

/** Fenced on the subscriber lease: false when this node no longer holds the flow. */
export async function recordBatch(
  trx: Kysely<Database>,
  accountId: string,
  flowName: string,
  owner: string,
  executionId: string,
  replayIds: { first: number; last: number },
): Promise<boolean> {
  const r = await trx
    .updateTable("event_subscriptions")
    .set({
      batch_execution_id: executionId,
      batch_first_replay_id: replayIds.first,
      batch_last_replay_id: replayIds.last,
    })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("lease_owner", "=", owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The batch's run ended (any status): the next batch starts after the stored replay id. */
export async function clearBatch(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  executionId: string,
): Promise<void> {
  await db
    .updateTable("event_subscriptions")
    .set({ batch_execution_id: null, batch_first_replay_id: null, batch_last_replay_id: null })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("batch_execution_id", "=", executionId)
    .execute();
}

export type Reclaim = { run: RunsTable } | { state: "ended" | "held" };

/**
 * Takes a lost node's batch run over: still InProgress, and its lease expired (PostgreSQL: another
 * node may still be finishing it) or, on SQLite, any (one process owns the data dir). `ended`: the
 * run was cancelled or reaped meanwhile; `held`: its lease hasn't expired yet, try again later.
 */
export async function reclaimBatchRun(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  executionId: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<Reclaim> {
  let q = db
    .updateTable("runs")
    .set({ lease_owner: owner, lease_expires_at: leaseUntil(caps, now, leaseMs), updated_at: now })
    .where("execution_id", "=", executionId)
    .where("status", "=", "InProgress");
  if (caps.dialect !== "sqlite")
    q = q.where((eb) =>
      eb.or([eb("lease_owner", "=", owner), eb("lease_expires_at", "<", leaseNow(caps, now))]),
    );
  const run = await q.returningAll().executeTakeFirst();
  if (run) return { run };
  const cur = await db
    .selectFrom("runs")
    .select("status")
    .where("execution_id", "=", executionId)
    .executeTakeFirst();
  return { state: cur?.status === "InProgress" ? "held" : "ended" };
}

/**
 * For the reaper: an InProgress run that is the recorded batch of an Active event flow is not ended
 * when its node is lost; the node that takes the flow over resumes it (reclaimBatchRun).
 */
export const resumableBatchRun = sql<boolean>`exists (
  select 1 from event_subscriptions es
  join flows f on f.account_id = es.account_id and f.flow_name = es.flow_name
  where es.batch_execution_id = runs.execution_id and f.flow_status = 'Active')`;

/**
 * Event flows' subscriptions: which node holds each active event flow's subscriber (a lease, on the
 * database's clock like run leases, so two nodes never both deliver), and the replay id of the last
 * event a Successful batch run delivered. The replay id moves only in the transaction that ends that
 * run (end-run.ts's `then`), so a restart resumes right after the last delivered event.
 */
import type { Kysely } from "kysely";
import type { FlowRow } from "./flows-sql.ts";
import type { StoreCapabilities } from "./open-store.ts";
import { leaseNow, leaseUntil } from "./runs/lease-clock.ts";
import type { Database } from "./schema.ts";

/** A subscriber lease just taken or renewed: where to resume, and the batch a lost node left unfinished. */
export interface HeldSubscription {
  replayId: number | null;
  batch?: { executionId: string; firstReplayId: number; lastReplayId: number };
}

export async function activeEventFlows(db: Kysely<Database>): Promise<FlowRow[]> {
  return (await db
    .selectFrom("flows")
    .selectAll()
    .where("trigger_type", "=", "Event")
    .where("flow_status", "=", "Active")
    .execute()) as FlowRow[];
}

/** Takes (or renews) the subscriber lease; the stored replay id when held, undefined when another node has it. */
export async function takeSubscription(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  accountId: string,
  flowName: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<HeldSubscription | undefined> {
  await db
    .insertInto("event_subscriptions")
    .values({
      account_id: accountId,
      flow_name: flowName,
      replay_id: null,
      lease_owner: null,
      lease_expires_at: null,
      error_message: null,
      batch_execution_id: null,
      batch_first_replay_id: null,
      batch_last_replay_id: null,
      report_from: now,
    })
    .onConflict((oc) => oc.columns(["account_id", "flow_name"]).doNothing())
    .execute();
  const row = await db
    .updateTable("event_subscriptions")
    .set({ lease_owner: owner, lease_expires_at: leaseUntil(caps, now, leaseMs) })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where((eb) =>
      eb.or([
        eb("lease_owner", "is", null),
        eb("lease_owner", "=", owner),
        eb("lease_expires_at", "<", leaseNow(caps, now)),
      ]),
    )
    .returning(["replay_id", "batch_execution_id", "batch_first_replay_id", "batch_last_replay_id"])
    .executeTakeFirst();
  if (!row) return undefined;
  const batch =
    row.batch_execution_id !== null && row.batch_first_replay_id !== null && row.batch_last_replay_id !== null
      ? {
          executionId: row.batch_execution_id,
          firstReplayId: Number(row.batch_first_replay_id),
          lastReplayId: Number(row.batch_last_replay_id),
        }
      : undefined;
  return { replayId: row.replay_id === null ? null : Number(row.replay_id), batch };
}

export async function releaseSubscription(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  owner: string,
) {
  await db
    .updateTable("event_subscriptions")
    .set({ lease_owner: null, lease_expires_at: null })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("lease_owner", "=", owner)
    .execute();
}

/** A single-node (SQLite) restart: every lease was the dead process's. */
export async function releaseAllSubscriptions(db: Kysely<Database>) {
  await db.updateTable("event_subscriptions").set({ lease_owner: null, lease_expires_at: null }).execute();
}

/** After a Successful batch run, in its ending transaction. Never moves back. */
export async function storeReplayId(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  replayId: number,
) {
  await db
    .updateTable("event_subscriptions")
    .set({ replay_id: replayId, error_message: null })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where((eb) => eb.or([eb("replay_id", "is", null), eb("replay_id", "<", replayId)]))
    .execute();
}

/** StartFlow: an activated flow subscribes for new events only (what happened while inactive is not delivered). */
export async function resetSubscription(db: Kysely<Database>, accountId: string, flowName: string) {
  await db
    .deleteFrom("event_subscriptions")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .execute();
}

/** The subscription can't go on: the flow becomes Errored (unless StopFlow/UpdateFlow changed it first). */
export async function failSubscription(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  message: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("event_subscriptions")
      .set({ error_message: message, lease_owner: null, lease_expires_at: null })
      .where("account_id", "=", accountId)
      .where("flow_name", "=", flowName)
      .execute();
    await trx
      .updateTable("flows")
      .set((eb) => ({ flow_status: "Errored", row_version: eb("row_version", "+", 1) }))
      .where("account_id", "=", accountId)
      .where("flow_name", "=", flowName)
      .where("flow_status", "=", "Active")
      .execute();
  });
}

export async function subscriptionError(db: Kysely<Database>, accountId: string, flowName: string) {
  const r = await db
    .selectFrom("event_subscriptions")
    .select("error_message")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .executeTakeFirst();
  return r?.error_message ?? undefined;
}

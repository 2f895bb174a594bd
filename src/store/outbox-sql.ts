/**
 * The run-report outbox: events wait here until every webhook has them (at-least-once). A node
 * claims a batch before delivering it (PostgreSQL: FOR UPDATE SKIP LOCKED, so nodes take disjoint
 * batches without waiting on each other), so each event normally goes out once across the nodes;
 * a claim expires, so a dead node's events are retaken by another.
 */
import type { Kysely } from "kysely";
import type { StoreCapabilities } from "./open-store.ts";
import type { Database, OutboxTable } from "./schema.ts";

export type OutboxRow = Omit<OutboxTable, "id"> & { id: number };

export async function claimEvents(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  owner: string,
  now: number,
  claimMs: number,
  limit: number,
): Promise<OutboxRow[]> {
  let due = db
    .selectFrom("outbox")
    .select("id")
    .where("delivered_at", "is", null)
    .where("next_attempt_at", "<=", now)
    .where((eb) => eb.or([eb("claim_expires_at", "is", null), eb("claim_expires_at", "<", now)]))
    .orderBy("id")
    .limit(limit);
  if (caps.skipLocked) due = due.forUpdate().skipLocked();
  const rows = await db
    .updateTable("outbox")
    .set({ claimed_by: owner, claim_expires_at: now + claimMs })
    .where("id", "in", due)
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

export async function markDelivered(db: Kysely<Database>, id: number, now: number): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ delivered_at: now, claimed_by: null, claim_expires_at: null })
    .where("id", "=", id)
    .execute();
}

/** A failed delivery: retried after `nextAttemptAt` by whichever node claims it then. */
export async function markFailed(
  db: Kysely<Database>,
  owner: string,
  id: number,
  attempts: number,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  await db
    .updateTable("outbox")
    .set({
      attempts,
      next_attempt_at: nextAttemptAt,
      last_error: error.slice(0, 500),
      claimed_by: null,
      claim_expires_at: null,
    })
    .where("id", "=", id)
    .where("claimed_by", "=", owner)
    .execute();
}

export async function eventsForRun(db: Kysely<Database>, executionId: string) {
  return db.selectFrom("outbox").selectAll().where("execution_id", "=", executionId).orderBy("id").execute();
}

export async function purgeDelivered(db: Kysely<Database>, deliveredBefore: number): Promise<void> {
  await db.deleteFrom("outbox").where("delivered_at", "<", deliveredBefore).execute();
}

/** The run-report outbox: events wait here until every webhook has them (at-least-once). */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export async function pendingEvents(db: Kysely<Database>, now: number, limit: number) {
  return db
    .selectFrom("outbox")
    .selectAll()
    .where("delivered_at", "is", null)
    .where("next_attempt_at", "<=", now)
    .orderBy("id")
    .limit(limit)
    .execute();
}

export async function markDelivered(db: Kysely<Database>, id: number, now: number): Promise<void> {
  await db.updateTable("outbox").set({ delivered_at: now }).where("id", "=", id).execute();
}

export async function markFailed(
  db: Kysely<Database>,
  id: number,
  attempts: number,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ attempts, next_attempt_at: nextAttemptAt, last_error: error.slice(0, 500) })
    .where("id", "=", id)
    .execute();
}

export async function eventsForRun(db: Kysely<Database>, executionId: string) {
  return db.selectFrom("outbox").selectAll().where("execution_id", "=", executionId).orderBy("id").execute();
}

export async function purgeDelivered(db: Kysely<Database>, deliveredBefore: number): Promise<void> {
  await db.deleteFrom("outbox").where("delivered_at", "<", deliveredBefore).execute();
}

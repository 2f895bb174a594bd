/** Reports go into the outbox in the same transaction as the change that causes them. */
import type { Kysely } from "kysely";
import { buildRunEvent, type RunEventType } from "../../domain/run-events.ts";
import type { Database, RunsTable } from "../schema.ts";

export async function insertRunEvent(
  trx: Kysely<Database>,
  run: RunsTable,
  type: RunEventType,
  now: number,
): Promise<void> {
  await insertOutboxEvent(trx, run.execution_id, run.account_id, type, buildRunEvent(run, type, now), now);
}

/** One event for delivery; `executionId` is "" for a flow's report that belongs to no one run. */
export async function insertOutboxEvent(
  trx: Kysely<Database>,
  executionId: string,
  accountId: string,
  type: string,
  event: unknown,
  now: number,
): Promise<void> {
  await trx
    .insertInto("outbox")
    .values({
      execution_id: executionId,
      account_id: accountId,
      detail_type: type,
      payload: JSON.stringify(event),
      created_at: now,
      attempts: 0,
      next_attempt_at: now,
      delivered_at: null,
      last_error: null,
    })
    .execute();
}

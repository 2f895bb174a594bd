/** Run reports go into the outbox in the same transaction as the status change that causes them. */
import type { Kysely } from "kysely";
import { buildRunEvent, type RunEventType } from "../../domain/run-events.ts";
import type { Database, RunsTable } from "../schema.ts";

export async function insertRunEvent(
  trx: Kysely<Database>,
  run: RunsTable,
  type: RunEventType,
  now: number,
): Promise<void> {
  const event = buildRunEvent(run, type, now);
  await trx
    .insertInto("outbox")
    .values({
      execution_id: run.execution_id,
      account_id: run.account_id,
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

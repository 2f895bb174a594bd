/**
 * The per-flow incremental watermark: source data up to `pulled_until` was transferred by a
 * Successful run. Only endRun advances it (in the run's ending transaction); the scheduler starts
 * each incremental window there, so a failed, canceled or skipped run loses no data.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export async function getWatermark(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
): Promise<number | undefined> {
  const r = await db
    .selectFrom("flow_watermarks")
    .select("pulled_until")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .executeTakeFirst();
  return r?.pulled_until;
}

/** Moves the watermark forward to `to` (never back: a late success of an older window changes nothing). */
export async function advanceWatermark(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  to: number,
): Promise<void> {
  await db
    .insertInto("flow_watermarks")
    .values({ account_id: accountId, flow_name: flowName, pulled_until: to })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "flow_name"])
        .doUpdateSet({ pulled_until: to })
        .where("flow_watermarks.pulled_until", "<", to),
    )
    .execute();
}

export async function deleteWatermark(db: Kysely<Database>, accountId: string, flowName: string) {
  await db
    .deleteFrom("flow_watermarks")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .execute();
}

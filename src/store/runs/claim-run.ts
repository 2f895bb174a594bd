/**
 * A worker claims the oldest unclaimed InProgress run. The UPDATE re-checks `status` and `claimed`,
 * so a cancel that committed first (the run is already Canceled) makes the claim find nothing.
 * PostgreSQL: SKIP LOCKED lets several processes claim concurrently without waiting on each other.
 * The lease runs on the database's clock there (lease-clock.ts); `started_at` is the node's clock.
 */
import type { Kysely } from "kysely";
import type { StoreCapabilities } from "../open-store.ts";
import type { Database, RunsTable } from "../schema.ts";
import { leaseUntil } from "./lease-clock.ts";

export async function claimRun(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<RunsTable | undefined> {
  return db.transaction().execute(async (trx) => {
    let next = trx
      .selectFrom("runs")
      .select("execution_id")
      .where("status", "=", "InProgress")
      .where("claimed", "=", 0)
      .orderBy("created_at")
      .limit(1);
    if (caps.skipLocked) next = next.forUpdate().skipLocked();
    const row = await trx
      .updateTable("runs")
      .set({
        claimed: 1,
        lease_owner: owner,
        lease_expires_at: leaseUntil(caps, now, leaseMs),
        started_at: now,
        updated_at: now,
      })
      .where("execution_id", "=", (eb) => eb.selectFrom(next.as("n")).select("n.execution_id"))
      .where("status", "=", "InProgress")
      .where("claimed", "=", 0)
      .returningAll()
      .executeTakeFirst();
    if (row) await caps.interleave?.("claim-run", trx);
    return row;
  });
}

/**
 * "AppFlow Event Flow Report": once per window per event flow, across nodes. The window's start is
 * kept on the subscription row (report_from) and moved to the window's end by a compare-and-set in the
 * transaction that inserts the report into the outbox, so two nodes (or a restart) never report the
 * same window twice, as the scheduler fires each tick once.
 */
import type { Kysely } from "kysely";
import type { StoreCapabilities } from "./open-store.ts";
import type { Database } from "./schema.ts";

export interface WindowTotals {
  /** Batch runs of the flow that ended in the window, and how many of them ended Successful. */
  runs: number;
  successfulRuns: number;
  /** Change records read and written by the Successful ones (a failed batch is delivered again later). */
  recordsProcessed: number;
  recordsWritten: number;
}

/**
 * Closes the flow's report window at `until`: returns its start and the totals of the batch runs that
 * ended in [start, until), or undefined when the window is already reported (or the row is gone).
 */
export async function closeReportWindow(
  trx: Kysely<Database>,
  caps: Pick<StoreCapabilities, "interleave">,
  accountId: string,
  flowName: string,
  until: number,
): Promise<{ from: number; totals: WindowTotals } | undefined> {
  const row = await trx
    .selectFrom("event_subscriptions")
    .select("report_from")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .executeTakeFirst();
  if (!row) return undefined;
  const from = row.report_from === null ? null : Number(row.report_from);
  if (from !== null && from >= until) return undefined;
  const moved = await trx
    .updateTable("event_subscriptions")
    .set({ report_from: until })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where((eb) => (from === null ? eb("report_from", "is", null) : eb("report_from", "=", from)))
    .executeTakeFirst();
  await caps.interleave?.("event-flow-report", trx);
  // Another node closed it first; a row from before the column existed starts its first window now.
  if (Number(moved.numUpdatedRows) === 0 || from === null) return undefined;
  const runs = await trx
    .selectFrom("runs")
    .select(["status", "records_processed", "records_written"])
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("trigger_type", "=", "Event")
    .where("ended_at", ">=", from)
    .where("ended_at", "<", until)
    .execute();
  const ok = runs.filter((r) => r.status === "Successful");
  return {
    from,
    totals: {
      runs: runs.length,
      successfulRuns: ok.length,
      recordsProcessed: ok.reduce((n, r) => n + Number(r.records_processed), 0),
      recordsWritten: ok.reduce((n, r) => n + Number(r.records_written), 0),
    },
  };
}

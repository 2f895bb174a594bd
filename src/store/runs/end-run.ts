/**
 * The worker's terminal transition, fenced on its lease. Races with CancelFlowExecutions are decided
 * here by one atomic UPDATE each: if the cancel committed first (status CancelStarted), the run ends
 * Canceled even though its work completed; if the finish committed first, the cancel finds nothing.
 */
import type { Kysely } from "kysely";
import type { ExecutionStatus } from "../../domain/flow.ts";
import { resumableBatchRun } from "../event-batches-sql.ts";
import type { StoreCapabilities } from "../open-store.ts";
import type { Database, RunsTable } from "../schema.ts";
import { advanceWatermark } from "../watermark-sql.ts";
import { leaseNow } from "./lease-clock.ts";
import { insertRunEvent } from "./outbox-insert.ts";
import { countColumns, type RunCounts } from "./touch-run.ts";

export interface RunOutcome {
  status: "Successful" | "Error" | "Canceled";
  errorMessage?: string;
  counts: RunCounts;
}

export async function endRun(
  db: Kysely<Database>,
  executionId: string,
  owner: string,
  outcome: RunOutcome,
  now: number,
  caps?: Pick<StoreCapabilities, "interleave">,
  /** More writes in the ending transaction, given the ended row (an event flow's replay id). */
  then?: (trx: Kysely<Database>, row: RunsTable) => Promise<void>,
): Promise<RunsTable | undefined> {
  return db.transaction().execute(async (trx) => {
    const set = { ...countColumns(outcome.counts), ended_at: now, updated_at: now };
    let row: RunsTable | undefined;
    if (outcome.status !== "Canceled") {
      row = await trx
        .updateTable("runs")
        .set({ ...set, status: outcome.status, error_message: outcome.errorMessage ?? null })
        .where("execution_id", "=", executionId)
        .where("lease_owner", "=", owner)
        .where("status", "=", "InProgress")
        .returningAll()
        .executeTakeFirst();
    }
    // A cancel won the race (or the worker is confirming its own stop): CancelStarted → Canceled.
    row ??= await trx
      .updateTable("runs")
      .set({
        ...set,
        status: "Canceled",
        ...(outcome.errorMessage ? { error_message: outcome.errorMessage } : {}),
      })
      .where("execution_id", "=", executionId)
      .where("lease_owner", "=", owner)
      .where("status", "=", "CancelStarted")
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await insertRunEvent(trx, row, "AppFlow End Flow Run Report", now);
    // Only a success moves the incremental watermark, in the transaction that records it: a failed
    // or canceled run's window is pulled again by the next run.
    if (row.status === "Successful" && row.watermark_to !== null) {
      await advanceWatermark(trx, row.account_id, row.flow_name, row.watermark_to);
    }
    await then?.(trx, row);
    await caps?.interleave?.("end-run", trx);
    return row;
  });
}

export interface ReapOptions {
  /** Only runs whose lease expired (other processes may be alive); false at a single-node restart. */
  onlyExpired: boolean;
  errorMessage: string;
}

/**
 * Ends runs whose worker is gone: CancelStarted → Canceled, InProgress → Error. Unclaimed runs are
 * left alone: they are still queued and a worker will pick them up.
 */
export async function reapRuns(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  now: number,
  opts: ReapOptions,
): Promise<RunsTable[]> {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .updateTable("runs")
      .set((eb) => ({
        status: eb
          .case()
          .when("status", "=", "CancelStarted")
          .then("Canceled" as ExecutionStatus)
          .else("Error" as ExecutionStatus)
          .end(),
        error_message: eb
          .case()
          .when("status", "=", "CancelStarted")
          .then(eb.ref("error_message"))
          .else(opts.errorMessage)
          .end(),
        ended_at: now,
        updated_at: now,
      }))
      .where("status", "in", ["InProgress", "CancelStarted"])
      .where("claimed", "=", 1)
      // A lost node's event batch is resumed by the node taking its flow over, not ended.
      .where((eb) => eb.or([eb("status", "=", "CancelStarted"), eb.not(resumableBatchRun)]));
    if (opts.onlyExpired) q = q.where("lease_expires_at", "<", leaseNow(caps, now));
    const rows = await q.returningAll().execute();
    for (const row of rows) await insertRunEvent(trx, row, "AppFlow End Flow Run Report", now);
    return rows;
  });
}

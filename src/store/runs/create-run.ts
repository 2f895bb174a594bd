/** StartFlow's insert: the run exists InProgress from this commit on, claimed or not, with its start report. */
import { type Kysely, sql } from "kysely";
import { QuotaExceededError } from "../../domain/errors.ts";
import { lockFlow } from "../flows-sql.ts";
import { notify } from "../notify-sql.ts";
import type { StoreCapabilities } from "../open-store.ts";
import type { Database, RunsTable } from "../schema.ts";
import { insertRunEvent } from "./outbox-insert.ts";

export interface NewRun {
  executionId: string;
  accountId: string;
  flowName: string;
  flowArn: string;
  triggerType: string;
  flowSnapshot: string;
  now: number;
  /** Incremental scheduled runs: the source window (epoch ms); its end is the watermark a success sets. */
  window?: { start?: number; end: number };
}

export async function createRun(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  run: NewRun,
  maxActivePerAccount: number,
  /** Runs first in the transaction (the request's clientToken record). */
  first?: (trx: Kysely<Database>) => Promise<void>,
): Promise<RunsTable> {
  return db.transaction().execute(async (trx) => {
    await first?.(trx);
    return insertRun(trx, caps, run, maxActivePerAccount);
  });
}

/** The insert inside a caller's transaction (the scheduler fires a tick and creates its run atomically). */
export async function insertRun(
  trx: Kysely<Database>,
  caps: StoreCapabilities,
  run: NewRun,
  maxActivePerAccount: number,
): Promise<RunsTable> {
  // The flow must still exist when the run commits: DeleteFlow takes this row exclusively, so a
  // run is never created for a flow being deleted (and a delete sees every run created before it).
  await lockFlow(trx, caps, run.accountId, run.flowName, "share");
  // Serializes quota checks of one account across processes (SQLite transactions are serial already).
  if (caps.dialect === "postgres") {
    await sql`select pg_advisory_xact_lock(hashtext(${`sluice-runs:${run.accountId}`}))`.execute(trx);
  }
  const active = await trx
    .selectFrom("runs")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", run.accountId)
    .where("status", "in", ["InProgress", "CancelStarted"])
    .executeTakeFirstOrThrow();
  if (Number(active.n) >= maxActivePerAccount) {
    throw new QuotaExceededError(
      `The account has ${Number(active.n)} runs in progress; the limit of concurrent runs is ${maxActivePerAccount}.`,
    );
  }
  const row = await trx
    .insertInto("runs")
    .values({
      execution_id: run.executionId,
      account_id: run.accountId,
      flow_name: run.flowName,
      flow_arn: run.flowArn,
      status: "InProgress",
      trigger_type: run.triggerType,
      flow_snapshot: run.flowSnapshot,
      created_at: run.now,
      updated_at: run.now,
      started_at: null,
      ended_at: null,
      data_pull_start: run.window?.start ?? null,
      data_pull_end: run.window?.end ?? null,
      records_processed: 0,
      records_written: 0,
      records_dropped: 0,
      bytes_processed: 0,
      bytes_written: 0,
      put_failures: 0,
      num_parallel: null,
      max_page_size: null,
      error_message: null,
      claimed: 0,
      lease_owner: null,
      lease_expires_at: null,
      cancel_requested_at: null,
      watermark_to: run.window?.end ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await insertRunEvent(trx, row, "AppFlow Start Flow Run Report", run.now);
  await notify(trx, caps, "runs");
  await caps.interleave?.("create-run", trx);
  return row;
}

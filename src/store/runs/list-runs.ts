/** Execution records, newest first, keyset-paginated so a page boundary holds while new runs start. */
import type { Kysely } from "kysely";
import type { Database, RunsTable } from "../schema.ts";

/**
 * Only the columns the responses show: better-sqlite3 turns every selected value into a JS value, and on a
 * page of 100 rows that costs more than finding them. The flow snapshot (kilobytes) is never shown.
 */
const RECORD_COLUMNS = [
  "execution_id",
  "flow_name",
  "status",
  "created_at",
  "updated_at",
  "started_at",
  "data_pull_start",
  "data_pull_end",
  "records_processed",
  "bytes_processed",
  "bytes_written",
  "put_failures",
  "num_parallel",
  "max_page_size",
  "error_message",
] as const satisfies readonly (keyof RunsTable)[];

/** An execution record as DescribeFlowExecutionRecords shows it. */
export type RunRecordRow = Pick<RunsTable, (typeof RECORD_COLUMNS)[number]>;

const LAST_RUN_COLUMNS = [
  "execution_id",
  "flow_name",
  "status",
  "updated_at",
  "error_message",
] as const satisfies readonly (keyof RunsTable)[];

/** A flow's last run as DescribeFlow shows it. */
export type LastRunRow = Pick<RunsTable, (typeof LAST_RUN_COLUMNS)[number]>;

export interface RunCursor {
  createdAt: number;
  executionId: string;
}

export async function listRuns(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  limit: number,
  after?: RunCursor,
): Promise<RunRecordRow[]> {
  let q = db
    .selectFrom("runs")
    .select(RECORD_COLUMNS)
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName);
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb("created_at", "<", after.createdAt),
        eb.and([eb("created_at", "=", after.createdAt), eb("execution_id", "<", after.executionId)]),
      ]),
    );
  }
  return q.orderBy("created_at", "desc").orderBy("execution_id", "desc").limit(limit).execute();
}

export async function latestRun(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
): Promise<LastRunRow | undefined> {
  const [row] = await listRuns(db, accountId, flowName, 1);
  return row;
}

export async function getRun(db: Kysely<Database>, executionId: string) {
  return db.selectFrom("runs").selectAll().where("execution_id", "=", executionId).executeTakeFirst();
}

export async function activeRunIds(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom("runs")
    .select("execution_id")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("status", "in", ["InProgress", "CancelStarted"])
    .execute();
  return rows.map((r) => r.execution_id);
}

/** Unfinished runs across the store, by state (the runs gauge). */
export async function unfinishedRunCounts(
  db: Kysely<Database>,
): Promise<Record<"queued" | "executing" | "stopping", number>> {
  const rows = await db
    .selectFrom("runs")
    .select(["status", "claimed", (eb) => eb.fn.countAll<number>().as("n")])
    .where("status", "in", ["InProgress", "CancelStarted"])
    .groupBy(["status", "claimed"])
    .execute();
  const out = { queued: 0, executing: 0, stopping: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.status === "CancelStarted") out.stopping += n;
    else if (r.claimed === 1) out.executing += n;
    else out.queued += n;
  }
  return out;
}

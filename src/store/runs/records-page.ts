/**
 * A page of DescribeFlowExecutionRecords, newest first, each record already written as its restJson1
 * object by the database (json-sql.ts). Keyset-paginated like listRuns(): a page boundary holds while
 * new runs start.
 */
import type { Kysely } from "kysely";
import {
  type Dialect,
  fixedQuery,
  formatSql,
  jsonEpochSeconds,
  jsonString,
  nullableJsonString,
  optionalMember,
} from "../json-sql.ts";
import type { Database } from "../schema.ts";
import type { RunCursor } from "./list-runs.ts";

/** One ExecutionRecord, members in the order (and with the omissions) the handler always wrote. */
function recordJson(d: Dialect): string {
  const q = (e: string) => ({ sql: jsonString(d, e) });
  const t = (e: string) => jsonEpochSeconds(d, e);
  const errorInfo =
    "CASE WHEN status = 'Error' OR put_failures > 0 THEN " +
    `'"errorInfo":{"putFailuresCount":' || put_failures || ` +
    `${optionalMember("executionMessage", nullableJsonString(d, "error_message"))} || '},' END`;
  return formatSql(d, [
    '{"executionId":',
    q("execution_id"),
    ',"executionStatus":',
    q("status"),
    ',"executionResult":{',
    { sql: errorInfo },
    '"bytesProcessed":',
    { sql: "bytes_processed" },
    ',"bytesWritten":',
    { sql: "bytes_written" },
    ',"recordsProcessed":',
    { sql: "records_processed" },
    { sql: optionalMember("numParallelProcesses", "num_parallel") },
    { sql: optionalMember("maxPageSize", "max_page_size") },
    '},"startedAt":',
    { sql: t("created_at") },
    ',"lastUpdatedAt":',
    { sql: t("updated_at") },
    { sql: optionalMember("dataPullStartTime", t("coalesce(data_pull_start, started_at)")) },
    { sql: optionalMember("dataPullEndTime", t("data_pull_end")) },
    "}",
  ]);
}

const pageQuery = (after: boolean) =>
  fixedQuery<(string | number)[]>(
    (d) =>
      `SELECT ${recordJson(d)} AS r, created_at AS c, execution_id AS i FROM runs ` +
      "WHERE account_id = ? AND flow_name = ?" +
      (after ? " AND (created_at < ? OR (created_at = ? AND execution_id < ?))" : "") +
      " ORDER BY created_at DESC, execution_id DESC LIMIT ?",
  );
const firstPage = pageQuery(false);
const laterPage = pageQuery(true);

export interface RecordsPage {
  /** The page's ExecutionRecord objects, comma-separated (the inside of a JSON array). */
  items: string;
  /** Where the next page starts, when there is one. */
  next?: RunCursor;
}

export async function runRecordsPage(
  db: Kysely<Database>,
  dialect: Dialect,
  accountId: string,
  flowName: string,
  limit: number,
  after?: RunCursor,
): Promise<RecordsPage> {
  type Row = { r: string; c: number; i: string };
  const rows = after
    ? await laterPage<Row>(db, dialect, [
        accountId,
        flowName,
        after.createdAt,
        after.createdAt,
        after.executionId,
        limit + 1,
      ])
    : await firstPage<Row>(db, dialect, [accountId, flowName, limit + 1]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => row.r).join(","),
    ...(rows.length > limit && last ? { next: { createdAt: Number(last.c), executionId: last.i } } : {}),
  };
}

/**
 * A page of DescribeFlowExecutionRecords, newest first, each record already written as its restJson1
 * object by the database (json-sql.ts). Keyset-paginated like listRuns(): a page boundary holds while
 * new runs start.
 */
import type { Kysely } from "kysely";
import {
  type Dialect,
  fixedQuery,
  jsonEpochSeconds,
  jsonInt,
  jsonString,
  nullableJsonString,
  optionalMember,
} from "../json-sql.ts";
import type { Database } from "../schema.ts";
import type { RunCursor } from "./list-runs.ts";

/** One ExecutionRecord, members in the order (and with the omissions) the handler always wrote. */
function recordJson(d: Dialect): string {
  const q = (e: string) => jsonString(d, e);
  const t = (e: string) => jsonEpochSeconds(d, e);
  const failed = "status = 'Error' OR put_failures > 0";
  const errorInfo =
    `CASE WHEN ${failed} THEN '"errorInfo":{"putFailuresCount":' || ${jsonInt("put_failures")} || ` +
    `${optionalMember("executionMessage", nullableJsonString(d, "error_message"))} || '},' ELSE '' END`;
  return [
    `'{"executionId":' || ${q("execution_id")}`,
    `',"executionStatus":' || ${q("status")}`,
    `',"executionResult":{' || ${errorInfo}`,
    `'"bytesProcessed":' || ${jsonInt("bytes_processed")}`,
    `',"bytesWritten":' || ${jsonInt("bytes_written")}`,
    `',"recordsProcessed":' || ${jsonInt("records_processed")}`,
    optionalMember("numParallelProcesses", jsonInt("num_parallel")),
    optionalMember("maxPageSize", jsonInt("max_page_size")),
    `'},"startedAt":' || ${t("created_at")}`,
    `',"lastUpdatedAt":' || ${t("updated_at")}`,
    optionalMember("dataPullStartTime", t("coalesce(data_pull_start, started_at)")),
    optionalMember("dataPullEndTime", t("data_pull_end")),
    `'}'`,
  ].join(" || ");
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

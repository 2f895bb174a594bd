/**
 * A page of DescribeFlowExecutionRecords, newest first, each record the restJson1 object the database
 * keeps for its run (record-json-sql.ts). Keyset-paginated like listRuns(): a page boundary holds while
 * new runs start.
 */
import type { Kysely } from "kysely";
import { type Dialect, fixedQuery } from "../json-sql.ts";
import type { Database } from "../schema.ts";
import type { RunCursor } from "./list-runs.ts";

const pageQuery = (after: boolean) =>
  fixedQuery<(string | number)[]>(
    () =>
      `SELECT record_json AS r, created_at AS c, execution_id AS i FROM runs ` +
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

/**
 * A page of ListFlows, ordered by name, each FlowDefinition summary — with its tags and its latest
 * run — already written as its restJson1 object by the database (json-sql.ts), in one statement.
 */
import type { Kysely } from "kysely";
import {
  concatAgg,
  type Dialect,
  fixedQuery,
  formatSql,
  jsonEpochSeconds,
  jsonString,
  nullableJsonString,
  optionalMember,
} from "./json-sql.ts";
import type { Database } from "./schema.ts";

/**
 * The position of a tag key in the tags object. A JS object (which the handler used to fill in
 * tag_key order) lists the keys that are array indices — canonical integers 0 to 2^32 - 2, and the
 * tag key pattern allows digits — first, in numeric order, then the others in insertion order.
 */
function arrayIndex(d: Dialect, k: string): string {
  return d === "sqlite"
    ? `CASE WHEN ${k} = '0' OR (length(${k}) <= 10 AND ${k} GLOB '[1-9]*' AND ${k} NOT GLOB '*[^0-9]*' ` +
        `AND CAST(${k} AS INTEGER) <= 4294967294) THEN CAST(${k} AS INTEGER) END`
    : // Nested: PostgreSQL doesn't promise to test the pattern before casting within one AND.
      `CASE WHEN ${k} ~ '^(0|[1-9][0-9]{0,9})$' THEN CASE WHEN CAST(${k} AS bigint) <= 4294967294 ` +
        `THEN CAST(${k} AS bigint) END END`;
}

function tagsJson(d: Dialect): string {
  const q = (e: string) => jsonString(d, e);
  const ix = arrayIndex(d, "t.tag_key");
  const pairs = concatAgg(
    d,
    `${q("t.tag_key")} || ':' || ${q("t.tag_value")}`,
    ",",
    `${ix} IS NULL, ${ix}, t.tag_key`,
  );
  // The members only (NULL without tags: written as nothing).
  return `(SELECT ${pairs} FROM tags t WHERE t.account_id = f.account_id AND t.resource_arn = f.flow_arn)`;
}

/** ExecutionDetails of the flow's latest run (one probe of runs_by_flow), NULL when it has none. */
function lastRunJson(d: Dialect): string {
  const q = (e: string) => jsonString(d, e);
  const details =
    `'{' || coalesce('"mostRecentExecutionMessage":' || ${nullableJsonString(d, "l.error_message")} || ',', '') || ` +
    `'"mostRecentExecutionTime":' || ${jsonEpochSeconds(d, "l.updated_at")} || ` +
    `',"mostRecentExecutionStatus":' || ${q("l.status")} || '}'`;
  return (
    `(SELECT ${details} FROM runs l WHERE l.account_id = f.account_id AND l.flow_name = f.flow_name ` +
    "ORDER BY l.created_at DESC, l.execution_id DESC LIMIT 1)"
  );
}

/** One FlowDefinition summary, members in the order (and with the omissions) the handler always wrote. */
function summaryJson(d: Dialect): string {
  const q = (e: string) => ({ sql: jsonString(d, e) });
  return formatSql(d, [
    '{"flowArn":',
    q("f.flow_arn"),
    { sql: optionalMember("description", nullableJsonString(d, "f.description")) },
    ',"flowName":',
    q("f.flow_name"),
    ',"flowStatus":',
    q("f.flow_status"),
    ',"sourceConnectorType":',
    q("f.source_type"),
    ',"destinationConnectorType":',
    q("f.destination_type"),
    ',"triggerType":',
    q("f.trigger_type"),
    ',"createdAt":',
    { sql: jsonEpochSeconds(d, "f.created_at") },
    ',"lastUpdatedAt":',
    { sql: jsonEpochSeconds(d, "f.updated_at") },
    ',"createdBy":',
    q("f.created_by"),
    ',"lastUpdatedBy":',
    q("f.last_updated_by"),
    ',"tags":{',
    { sql: tagsJson(d) },
    "}",
    { sql: optionalMember("lastRunExecutionDetails", lastRunJson(d)) },
    "}",
  ]);
}

const pageQuery = (after: boolean) =>
  fixedQuery<(string | number)[]>(
    (d) =>
      `SELECT ${summaryJson(d)} AS r, f.flow_name AS n FROM flows f WHERE f.account_id = ?` +
      (after ? " AND f.flow_name > ?" : "") +
      " ORDER BY f.flow_name LIMIT ?",
  );
const firstPage = pageQuery(false);
const laterPage = pageQuery(true);

export interface FlowsPage {
  /** The page's FlowDefinition objects, comma-separated (the inside of a JSON array). */
  items: string;
  /** The last flow's name, when there is a next page. */
  next?: string;
}

export async function flowSummariesPage(
  db: Kysely<Database>,
  dialect: Dialect,
  accountId: string,
  limit: number,
  afterName?: string,
): Promise<FlowsPage> {
  type Row = { r: string; n: string };
  const rows =
    afterName === undefined
      ? await firstPage<Row>(db, dialect, [accountId, limit + 1])
      : await laterPage<Row>(db, dialect, [accountId, afterName, limit + 1]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => row.r).join(","),
    ...(rows.length > limit && last ? { next: last.n } : {}),
  };
}

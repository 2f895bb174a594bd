/**
 * Each run's ExecutionRecord, kept as restJson1 text in runs.record_json by the database itself: a
 * trigger writes it whenever a row is inserted or a column it shows changes, so
 * DescribeFlowExecutionRecords reads one stored string per item instead of formatting a dozen columns
 * on every request (on SQLite that printf was most of an uncached page's cost). Runs change a few
 * times a second at most (a batch, a heartbeat); pages are read far more often.
 *
 * The text is exactly what toWireJson() writes for the record (test/store/api-pages.test.ts). A change
 * to it needs a migration that calls installRecordJson() again, which replaces the triggers and
 * rewrites every row.
 */
import { type Kysely, sql } from "kysely";
import {
  type Dialect,
  formatSql,
  jsonEpochSeconds,
  jsonString,
  nullableJsonString,
  optionalMember,
} from "../json-sql.ts";

/** The columns the record shows: a change to any of them rewrites it. */
const SHOWN = [
  "execution_id",
  "status",
  "put_failures",
  "error_message",
  "bytes_processed",
  "bytes_written",
  "records_processed",
  "num_parallel",
  "max_page_size",
  "created_at",
  "updated_at",
  "data_pull_start",
  "started_at",
  "data_pull_end",
] as const;
type Shown = (typeof SHOWN)[number];

/** One ExecutionRecord, members in the order (and with the omissions) the handler always wrote. */
function recordJson(d: Dialect, col: (c: Shown) => string): string {
  const q = (c: Shown) => ({ sql: jsonString(d, col(c)) });
  const t = (e: string) => jsonEpochSeconds(d, e);
  const errorInfo =
    `CASE WHEN ${col("status")} = 'Error' OR ${col("put_failures")} > 0 THEN ` +
    `'"errorInfo":{"putFailuresCount":' || ${col("put_failures")} || ` +
    `${optionalMember("executionMessage", nullableJsonString(d, col("error_message")))} || '},' END`;
  return formatSql(d, [
    '{"executionId":',
    q("execution_id"),
    ',"executionStatus":',
    q("status"),
    ',"executionResult":{',
    { sql: errorInfo },
    '"bytesProcessed":',
    { sql: col("bytes_processed") },
    ',"bytesWritten":',
    { sql: col("bytes_written") },
    ',"recordsProcessed":',
    { sql: col("records_processed") },
    { sql: optionalMember("numParallelProcesses", col("num_parallel")) },
    { sql: optionalMember("maxPageSize", col("max_page_size")) },
    '},"startedAt":',
    { sql: t(col("created_at")) },
    ',"lastUpdatedAt":',
    { sql: t(col("updated_at")) },
    {
      sql: optionalMember(
        "dataPullStartTime",
        t(`coalesce(${col("data_pull_start")}, ${col("started_at")})`),
      ),
    },
    { sql: optionalMember("dataPullEndTime", t(col("data_pull_end"))) },
    "}",
  ]);
}

/**
 * (Re)creates the triggers that keep runs.record_json and rewrites it for every row. The column must
 * exist. SQLite: AFTER triggers that set it on the row just written (the inner UPDATE changes no
 * watched column, so it fires nothing). PostgreSQL: a BEFORE trigger that sets it on the new row.
 */
export async function installRecordJson<DB>(db: Kysely<DB>, d: Dialect): Promise<void> {
  if (d === "sqlite") {
    const set = `UPDATE runs SET record_json = ${recordJson(d, (c) => c)} WHERE rowid = NEW.rowid;`;
    await sql.raw("DROP TRIGGER IF EXISTS runs_record_json_insert").execute(db);
    await sql.raw("DROP TRIGGER IF EXISTS runs_record_json_update").execute(db);
    await sql.raw(`CREATE TRIGGER runs_record_json_insert AFTER INSERT ON runs BEGIN ${set} END`).execute(db);
    await sql
      .raw(
        `CREATE TRIGGER runs_record_json_update AFTER UPDATE OF ${SHOWN.join(", ")} ON runs BEGIN ${set} END`,
      )
      .execute(db);
    await sql.raw(`UPDATE runs SET record_json = ${recordJson(d, (c) => c)}`).execute(db);
    return;
  }
  const body = `BEGIN NEW.record_json := ${recordJson(d, (c) => `NEW.${c}`)}; RETURN NEW; END`;
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION runs_record_json() RETURNS trigger LANGUAGE plpgsql AS $body$ ${body} $body$`,
    )
    .execute(db);
  await sql.raw("DROP TRIGGER IF EXISTS runs_record_json ON runs").execute(db);
  await sql
    .raw(
      `CREATE TRIGGER runs_record_json BEFORE INSERT OR UPDATE OF ${SHOWN.join(", ")} ON runs ` +
        "FOR EACH ROW EXECUTE FUNCTION runs_record_json()",
    )
    .execute(db);
  await sql.raw(`UPDATE runs SET record_json = ${recordJson(d, (c) => c)}`).execute(db);
}

/**
 * SQL expressions that build restJson1 text inside the database, for the hot list pages: the
 * database hands back one string per item instead of a JS value per column (on SQLite most of a
 * page's cost was better-sqlite3 making those values).
 *
 * Each expression yields exactly what toWireJson() writes for the same values, or NULL when the value
 * is NULL — so `coalesce(',"member":' || expr, '')` writes an optional member the way toWireJson
 * omits a null one. The same text runs on SQLite and PostgreSQL but for the few spellings below.
 */
import { CompiledQuery, type Kysely } from "kysely";
import type { StoreCapabilities } from "./open-store.ts";
import type { Database } from "./schema.ts";

export type Dialect = StoreCapabilities["dialect"];

/**
 * A text value as a JSON string. Both escape as JSON.stringify does: `"` and `\`, \b \f \n \r \t,
 * other control characters as lowercase \u00XX, everything else (non-ASCII included) as it is.
 */
export function jsonString(d: Dialect, e: string): string {
  return d === "sqlite" ? `json_quote(${e})` : `to_json(CAST(${e} AS text))::text`;
}

/** jsonString of a nullable column: SQLite's json_quote writes NULL as the text null (a string "null" is quoted). */
export function nullableJsonString(d: Dialect, e: string): string {
  return d === "sqlite" ? `nullif(json_quote(${e}), 'null')` : jsonString(d, e);
}

/**
 * Text from literal pieces and SQL values, in one printf (SQLite) / format (PostgreSQL) call: far
 * fewer steps for SQLite than a chain of `||`. A value is written as text (an integer as its digits,
 * a float as CAST writes it); NULL writes nothing.
 */
export function formatSql(d: Dialect, pieces: readonly (string | { sql: string })[]): string {
  let template = "";
  const args: string[] = [];
  for (const p of pieces) {
    if (typeof p === "string") template += p.replaceAll("%", "%%").replaceAll("'", "''");
    else {
      template += "%s";
      args.push(p.sql);
    }
  }
  return `${d === "sqlite" ? "printf" : "format"}('${template}', ${args.join(", ")})`;
}

/**
 * Integer epoch milliseconds as the epoch seconds JS prints for ms / 1000 (restJson1 timestamps):
 * the whole seconds, then the milliseconds without trailing zeros, no point when there are none.
 */
export function jsonEpochSeconds(d: Dialect, e: string): string {
  // Integer division and % truncate towards zero: a negative time is the negation of a positive one.
  const positive = (x: string) =>
    `rtrim(rtrim(CAST(${x} / 1000 AS TEXT) || '.' || substr(CAST(${x} % 1000 + 1000 AS TEXT), 2), '0'), '.')`;
  const exact = `CASE WHEN ${e} < 0 THEN '-' || ${positive(`(-(${e}))`)} ELSE ${positive(e)} END`;
  if (d === "postgres") return `(${exact})`;
  // A number, not text: printf and || write it as CAST would.
  // SQLite writes the float ms / 1000.0 as JS does — about twice as cheap as the exact text — for
  // every time before the year 2286 (checked for blocks of 5 million consecutive values up to 10^13;
  // from 10^14 on it writes 17 digits), but adds ".0" to whole seconds, which are written as integers.
  return (
    `(CASE WHEN ${e} % 1000 = 0 THEN ${e} / 1000 ` +
    `WHEN ${e} BETWEEN 0 AND 9999999999999 THEN ${e} / 1000.0 ELSE ${exact} END)`
  );
}

/** `,"name":value`, or '' when the value is NULL (toWireJson leaves null members out). */
export function optionalMember(name: string, value: string): string {
  return `coalesce(',"${name}":' || ${value}, '')`;
}

/** Aggregates text values in the given order, `sep` between them, NULL over no rows. */
export function concatAgg(d: Dialect, e: string, sep: string, orderBy: string): string {
  return `${d === "sqlite" ? "group_concat" : "string_agg"}(${e}, '${sep}' ORDER BY ${orderBy})`;
}

/**
 * A fixed query, compiled once per dialect: Kysely would build and compile it for every request (a
 * few percent of one). `build` writes it with `?` for each parameter (and no `?` anywhere else);
 * PostgreSQL gets them numbered. On SQLite the store's statement cache reuses the prepared statement.
 */
export function fixedQuery<P extends readonly unknown[]>(build: (d: Dialect) => string) {
  const texts = new Map<Dialect, string>();
  const textFor = (d: Dialect) => {
    let t = texts.get(d);
    if (t === undefined) {
      let n = 0;
      t = d === "sqlite" ? build(d) : build(d).replace(/\?/g, () => `$${++n}`);
      texts.set(d, t);
    }
    return t;
  };
  return async <R>(db: Kysely<Database>, d: Dialect, params: P): Promise<R[]> =>
    (await db.executeQuery<R>(CompiledQuery.raw(textFor(d), [...params]))).rows;
}

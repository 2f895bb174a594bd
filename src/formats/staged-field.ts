/**
 * How a value is written into the CSV file DuckDB reads to make a Parquet file
 * (parquet-duckdb-writer.ts); the fast path's transcoder writes the same (transcode/field-emitters.ts).
 */
const QUOTE = /[",\n\r]/;

/**
 * A CSV field DuckDB reads back exactly: null is an empty field, "" a quoted empty one; leading or
 * trailing whitespace is quoted too, so nothing can trim it.
 */
export function stagedField(s: string): string {
  if (s === "") return '""';
  const quote = s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32 || QUOTE.test(s);
  return quote ? `"${s.replaceAll('"', '""')}"` : s;
}

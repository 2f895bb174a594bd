/**
 * Parquet output: every column OPTIONAL (nulls allowed), Snappy-compressed, dictionary-encoded where it
 * pays. With preserveSourceDataTyping false, every column is UTF8 and values are written as their string
 * form (as AppFlow does). With true, each column's type is inferred from the values of the first batch
 * an object receives: all (safe) integers → INT64, numbers → DOUBLE, booleans → BOOLEAN, anything else
 * (or only nulls) → UTF8. A later value that does not fit the inferred type fails the write with a clear
 * message.
 *
 * Which writer (measured in docs/benchmarks.md, figure 2): DuckDB's, fed through its appender, several
 * times faster than the pure-JS hyparquet-writer and as small. DuckDB folds column names that differ
 * only in case (it would rename one) and refuses an empty name, so an object whose fields do that, or
 * that has no columns at all, is written by hyparquet-writer instead.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FieldValue } from "../connectors/types.ts";
import { DuckdbParquetEncoder, parseStagedLines } from "./parquet-duckdb-writer.ts";
import { JsParquetEncoder } from "./parquet-js-writer.ts";
import type { ByteSink, CloseOptions, RecordEncoder } from "./record-encoder.ts";

/** Whether DuckDB keeps these names as they are: non-empty, and distinct even ignoring case. */
export function duckdbKeepsNames(fields: readonly string[]): boolean {
  if (fields.length === 0 || fields.some((f) => f === "")) return false;
  return new Set(fields.map((f) => f.toLowerCase())).size === fields.length;
}

export class ParquetEncoder implements RecordEncoder {
  private impl: RecordEncoder | undefined;

  constructor(
    private readonly sink: ByteSink,
    private readonly preserveTypes: boolean,
    private readonly tempDir = join(tmpdir(), "sluice-parquet"),
  ) {}

  /** The writer chosen for this object (from its first batch's fields). */
  get writer(): "duckdb" | "hyparquet-writer" | undefined {
    if (!this.impl) return undefined;
    return this.impl instanceof DuckdbParquetEncoder ? "duckdb" : "hyparquet-writer";
  }

  pendingBytes(): number {
    return this.impl?.pendingBytes?.() ?? 0;
  }

  async write(fields: string[], rows: FieldValue[][]): Promise<void> {
    await this.writerFor(fields).write(fields, rows);
  }

  /** Staged lines (formats/parquet-duckdb-writer.ts): appended for DuckDB, parsed back for the JS writer. */
  async writeEncoded(fields: string[], data: Buffer, records: number, longestRecord: number): Promise<void> {
    const impl = this.writerFor(fields);
    if (impl.writeEncoded) await impl.writeEncoded(fields, data, records, longestRecord);
    // A record of no columns is a bare line end, which would read back as one null.
    else if (fields.length === 0)
      await impl.write(
        fields,
        Array.from({ length: records }, () => []),
      );
    else await impl.write(fields, parseStagedLines(data.toString("utf8")));
  }

  private writerFor(fields: string[]): RecordEncoder {
    this.impl ??= duckdbKeepsNames(fields)
      ? new DuckdbParquetEncoder(this.sink, this.preserveTypes, this.tempDir)
      : new JsParquetEncoder(this.sink, this.preserveTypes);
    return this.impl;
  }

  async close(options?: CloseOptions): Promise<void> {
    // An object that never received a row is still a valid file: the schema of no columns.
    this.impl ??= new JsParquetEncoder(this.sink, this.preserveTypes);
    await this.impl.close(options);
  }

  async discard(): Promise<void> {
    await this.impl?.discard?.();
  }
}

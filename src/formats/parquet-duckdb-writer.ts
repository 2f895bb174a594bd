/**
 * Parquet through DuckDB: rows are appended to a temp CSV file (typed text: null and "" kept apart) as
 * batches arrive; close() has the DuckDB process (duckdb-process.ts) run
 * `COPY (SELECT … FROM read_csv(<file>, columns = <explicit types>)) TO '<file>.parquet' (COMPRESSION
 * snappy)`, and hands the Parquet file to the sink in chunks, draining between them. DuckDB parses and
 * encodes in C++ on its own threads (dictionary where it pays, Snappy, statistics), several times faster
 * than the JS writer (docs/benchmarks.md), and the object's rows wait on disk, not in memory.
 */
import { randomUUID } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { FieldValue } from "../connectors/types.ts";
import { ConnectorServerError } from "../domain/errors.ts";
import { type DuckdbProcess, duckdbProcess } from "./duckdb-process.ts";
import { inferParquetType, type ParquetColumnType } from "./parquet-js-writer.ts";
import type { ByteSink, CloseOptions, RecordEncoder } from "./record-encoder.ts";
import { stagedField } from "./staged-field.ts";
import { StagingFile } from "./staging-file.ts";

const SQL_TYPE: Record<ParquetColumnType, string> = {
  UTF8: "VARCHAR",
  INT64: "BIGINT",
  DOUBLE: "DOUBLE",
  BOOLEAN: "BOOLEAN",
};
/** The finished file goes to the sink in chunks this size (above S3's 5 MiB minimum part). */
const CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * DuckDB reads a CSV line of up to max_line_size bytes with buffers of 16 times that: the default
 * (2 MiB) unless a longer record needs more, up to 8 MiB (128 MiB of buffers, within the process's
 * memory limit). A record longer than that fails the write with a message saying so.
 */
const MIN_LINE_BYTES = 2 * 1024 * 1024;
const MAX_LINE_BYTES = 8 * 1024 * 1024;

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
/**
 * The values of staged lines (every column text), back as write() had them: an empty field is null, a
 * quoted one a string with `""` undoubled. For objects DuckDB can't write (parquet-writer.ts), which
 * then go to the JS writer as rows.
 */
export function parseStagedLines(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let pos = 0;
  while (pos < text.length) {
    let value: string | null;
    if (text.charCodeAt(pos) === 34) {
      let end = pos + 1;
      let parts = "";
      for (;;) {
        const q = text.indexOf('"', end);
        if (q < 0) throw new ConnectorServerError("A staged Parquet record has an unterminated quoted field");
        parts += text.slice(end, q);
        if (text.charCodeAt(q + 1) !== 34) {
          pos = q + 1;
          break;
        }
        parts += '"';
        end = q + 2;
      }
      value = parts;
    } else {
      let end = pos;
      while (end < text.length && text.charCodeAt(end) !== 44 && text.charCodeAt(end) !== 10) end++;
      value = end === pos ? null : text.slice(pos, end);
      pos = end;
    }
    row.push(value);
    const sep = text.charCodeAt(pos++);
    if (sep === 10) {
      rows.push(row);
      row = [];
    } else if (sep !== 44) throw new ConnectorServerError("A staged Parquet record is not a whole line");
  }
  if (row.length > 0) throw new ConnectorServerError("A staged Parquet record is not a whole line");
  return rows;
}

type Encode = (v: string | number | boolean) => string;

export class DuckdbParquetEncoder implements RecordEncoder {
  private process: DuckdbProcess | undefined;
  private csv: StagingFile | undefined;
  private names: string[] = [];
  private types: ParquetColumnType[] = [];
  private encoders: Encode[] = [];
  private allText = false;
  private raw = 0;
  /** Longest line written so far, in UTF-8 bytes (sets DuckDB's max_line_size). */
  private longest = 0;
  private done = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly preserveTypes: boolean,
    private readonly tempDir: string,
  ) {}

  pendingBytes(): number {
    return this.raw;
  }

  private measure(line: string, row: number): void {
    this.longestIs(Buffer.byteLength(line, "utf8"), ` (row ${row + 1} of its batch)`);
  }

  private longestIs(bytes: number, where: string): void {
    if (bytes >= MAX_LINE_BYTES)
      throw new ConnectorServerError(
        `A record of ${(bytes / 1024 / 1024).toFixed(1)} MB${where} is longer than ` +
          `the Parquet writer takes (${MAX_LINE_BYTES / 1024 / 1024} MB of text per record)`,
      );
    this.longest = Math.max(this.longest, bytes);
  }

  async write(fields: string[], rows: FieldValue[][]): Promise<void> {
    if (!this.csv) await this.open(fields, this.inferTypes(fields, rows));
    const enc = this.encoders;
    const n = enc.length;
    const allText = this.allText;
    // One string per batch, each piece appended to it (V8 ropes), flattened once by Buffer.from.
    let text = "";
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const start = text.length;
      for (let i = 0; i < n; i++) {
        if (i > 0) text += ",";
        const v = row[i] ?? null;
        if (v === null) continue;
        // Every column a string (preserveSourceDataTyping off, or CSV sources): no call per value.
        text += allText && typeof v === "string" ? stagedField(v) : enc[i]!(v);
      }
      text += "\n";
      // UTF-16 length ≤ UTF-8 bytes ≤ 3× it: only a long line is measured exactly.
      const chars = text.length - start;
      if (chars * 3 >= MIN_LINE_BYTES && chars * 3 > this.longest) this.measure(text.slice(start), r);
    }
    const bytes = Buffer.from(text, "utf8");
    this.raw += bytes.length;
    await this.csv!.append(bytes);
  }

  /**
   * Appends lines already staged as write() stages string values (every column text: the fast path's
   * "staging-csv"). An object whose columns were typed from an earlier write() can't take text lines.
   */
  async writeEncoded(fields: string[], data: Buffer, _records: number, longestRecord: number): Promise<void> {
    if (!this.csv)
      await this.open(
        fields,
        fields.map(() => "UTF8"),
      );
    else if (!this.allText)
      throw new ConnectorServerError(
        "Parquet columns were typed from the first records; records staged as text can't be added to the object",
      );
    this.longestIs(longestRecord, "");
    this.raw += data.length;
    await this.csv!.append(data);
  }

  async close(options: CloseOptions = {}): Promise<void> {
    const { signal, drain } = options;
    const staged = this.csv!;
    const csv = staged.path;
    const out = `${csv.slice(0, -".csv".length)}.parquet`;
    try {
      await staged.close();
      this.csv = undefined;
      const columns = this.names.map((n, i) => `c${i} AS ${ident(n)}`).join(", ");
      const types = this.types.map((t, i) => `'c${i}': '${SQL_TYPE[t]}'`).join(", ");
      let maxLine = MIN_LINE_BYTES;
      while (maxLine <= this.longest) maxLine *= 2;
      await this.process!.run(
        `COPY (SELECT ${columns} FROM read_csv(${literal(csv)}, header = false, columns = {${types}}, ` +
          "auto_detect = false, delim = ',', quote = '\"', escape = '\"', nullstr = '', " +
          `allow_quoted_nulls = false, new_line = '\\n', strict_mode = true, max_line_size = ${maxLine})) ` +
          `TO ${literal(out)} (FORMAT parquet, COMPRESSION snappy)`,
        signal,
      );
      await rm(csv, { force: true });
      this.raw = 0;
      const file = await open(out, "r");
      try {
        for (;;) {
          signal?.throwIfAborted();
          const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
          const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, null);
          if (bytesRead === 0) break;
          this.sink.write(bytesRead === CHUNK_BYTES ? chunk : chunk.subarray(0, bytesRead));
          await drain?.();
        }
      } finally {
        await file.close();
      }
    } finally {
      await Promise.all([rm(csv, { force: true }), rm(out, { force: true })]);
      await this.discard();
    }
  }

  async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const csv = this.csv;
    this.csv = undefined;
    await csv?.discard();
  }

  private inferTypes(fields: string[], rows: FieldValue[][]): ParquetColumnType[] {
    return fields.map((_, i) =>
      this.preserveTypes ? inferParquetType(rows.map((r) => r[i] ?? null)) : "UTF8",
    );
  }

  private async open(fields: string[], types: ParquetColumnType[]): Promise<void> {
    this.names = [...fields];
    this.types = types;
    this.encoders = this.types.map((t, i) => encoderFor(t, fields[i]!));
    this.allText = this.types.every((t) => t === "UTF8");
    // Not awaited: the process may still be starting; the COPY at the end waits for it.
    this.process = duckdbProcess(this.tempDir);
    const path = join(this.tempDir, `${this.process.filePrefix}${randomUUID()}.csv`);
    this.csv = await StagingFile.create(path);
  }
}

/** One text encoder per column type; a value that doesn't fit the column's type fails the write. */
function encoderFor(type: ParquetColumnType, column: string): Encode {
  const mismatch = (v: unknown) =>
    new ConnectorServerError(
      `Parquet column "${column}" was typed ${type} from the first records, but a later record holds ${JSON.stringify(v)}`,
    );
  switch (type) {
    case "UTF8":
      return (v) => stagedField(typeof v === "string" ? v : String(v));
    case "INT64":
      return (v) => {
        if (typeof v !== "number" || !Number.isSafeInteger(v)) throw mismatch(v);
        return String(v);
      };
    case "DOUBLE":
      // String() is the shortest text that parses back to the same double (Infinity, NaN too), but -0 → "0".
      return (v) => {
        if (typeof v !== "number") throw mismatch(v);
        return Object.is(v, -0) ? "-0" : String(v);
      };
    case "BOOLEAN":
      return (v) => {
        if (typeof v !== "boolean") throw mismatch(v);
        return v ? "true" : "false";
      };
  }
}

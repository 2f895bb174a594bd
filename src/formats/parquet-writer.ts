/**
 * Parquet writer on @dsnp/parquetjs. Every column is OPTIONAL (nulls allowed). With
 * preserveSourceDataTyping false, every column is UTF8 and values are written as their string form (as
 * AppFlow does). With true, each column's type is inferred from the values of the first batch an object
 * receives: all integers → INT64, numbers → DOUBLE, booleans → BOOLEAN, anything else (or only nulls) → UTF8.
 * A later value that does not fit the inferred type fails the write with a clear message.
 */
import parquet from "@dsnp/parquetjs";
import type { FieldValue } from "../connectors/types.ts";
import { ConnectorServerError } from "../domain/errors.ts";
import type { ByteSink, RecordEncoder } from "./record-encoder.ts";

type ParquetColumnType = "UTF8" | "INT64" | "DOUBLE" | "BOOLEAN";
type ParquetWriterInstance = Awaited<ReturnType<typeof parquet.ParquetWriter.openStream>>;

/** Rows per row group: bounds the writer's memory while keeping row groups useful for readers. */
const ROW_GROUP_SIZE = 10_000;

export function inferParquetType(values: Iterable<FieldValue>): ParquetColumnType {
  let kind: ParquetColumnType | undefined;
  for (const v of values) {
    if (v === null) continue;
    let k: ParquetColumnType;
    if (typeof v === "boolean") k = "BOOLEAN";
    else if (typeof v === "number") k = Number.isInteger(v) ? "INT64" : "DOUBLE";
    else return "UTF8";
    if (kind === undefined || kind === k) kind = k;
    else if ((kind === "INT64" && k === "DOUBLE") || (kind === "DOUBLE" && k === "INT64")) kind = "DOUBLE";
    else return "UTF8";
  }
  return kind ?? "UTF8";
}

export class ParquetEncoder implements RecordEncoder {
  private writer: ParquetWriterInstance | undefined;
  private types: ParquetColumnType[] = [];

  constructor(
    private readonly sink: ByteSink,
    private readonly preserveTypes: boolean,
  ) {}

  async write(fields: string[], rows: FieldValue[][]): Promise<void> {
    if (!this.writer) await this.open(fields, rows);
    const writer = this.writer!;
    const types = this.types;
    for (const row of rows) {
      const record: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const v = row[i] ?? null;
        if (v !== null) record[fields[i]!] = this.convert(v, types[i]!, fields[i]!);
      }
      await writer.appendRow(record);
    }
  }

  async close(): Promise<void> {
    // An object that never received a row still has to be a valid file: write the schema of no columns.
    if (!this.writer) await this.open([], []);
    await this.writer!.close();
  }

  private async open(fields: string[], rows: FieldValue[][]): Promise<void> {
    this.types = fields.map((_, i) =>
      this.preserveTypes ? inferParquetType(rows.map((r) => r[i] ?? null)) : "UTF8",
    );
    const definition: Record<string, { type: ParquetColumnType; optional: true }> = {};
    fields.forEach((f, i) => {
      definition[f] = { type: this.types[i]!, optional: true };
    });
    const sink = this.sink;
    // parquetjs only needs write/end with callbacks; bytes go straight to the (buffering) sink.
    const out = {
      write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
        sink.write(chunk);
        cb?.(null);
        return true;
      },
      end(cb?: () => void) {
        cb?.();
        return this;
      },
    };
    this.writer = await parquet.ParquetWriter.openStream(
      new parquet.ParquetSchema(definition),
      out as unknown as Parameters<typeof parquet.ParquetWriter.openStream>[1],
    );
    this.writer.setRowGroupSize(ROW_GROUP_SIZE);
  }

  private convert(v: string | number | boolean, type: ParquetColumnType, field: string): unknown {
    switch (type) {
      case "UTF8":
        return typeof v === "string" ? v : String(v);
      case "INT64":
        if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
        break;
      case "DOUBLE":
        if (typeof v === "number") return v;
        break;
      case "BOOLEAN":
        if (typeof v === "boolean") return v;
        break;
    }
    throw new ConnectorServerError(
      `Parquet column "${field}" was typed ${type} from the first records, but a later record holds ${JSON.stringify(v)}`,
    );
  }
}

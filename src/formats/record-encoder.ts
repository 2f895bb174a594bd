/**
 * Output formats share one shape: an encoder turns batches of rows into bytes pushed to a sink.
 * The sink only buffers (synchronously); the caller decides when buffered bytes are uploaded, so
 * encoders never do I/O and a cancel never leaves an encoder mid-write.
 */
import type { FieldValue } from "../connectors/types.ts";
import { CsvEncoder } from "./csv-writer.ts";
import { JsonLinesEncoder } from "./jsonl-writer.ts";
import { ParquetEncoder } from "./parquet-writer.ts";

export interface ByteSink {
  write(chunk: Buffer): void;
}

export interface RecordEncoder {
  /** Encodes rows aligned to `fields`; every call to one encoder must pass the same `fields`. */
  write(fields: string[], rows: FieldValue[][]): Promise<void>;
  /** Writes any trailer (the Parquet footer) and flushes everything to the sink. */
  close(): Promise<void>;
}

export type OutputFileType = "CSV" | "JSON" | "PARQUET";

export interface EncoderOptions {
  /** Parquet only: keep number/boolean column types instead of writing every column as a string. */
  preserveSourceDataTyping?: boolean;
}

export function createEncoder(
  type: OutputFileType,
  sink: ByteSink,
  options: EncoderOptions = {},
): RecordEncoder {
  switch (type) {
    case "CSV":
      return new CsvEncoder(sink);
    case "JSON":
      return new JsonLinesEncoder(sink);
    case "PARQUET":
      return new ParquetEncoder(sink, options.preserveSourceDataTyping ?? false);
  }
}

/** File name extension of each output type. */
export const fileExtension: Record<OutputFileType, string> = {
  CSV: "csv",
  JSON: "jsonl",
  PARQUET: "parquet",
};

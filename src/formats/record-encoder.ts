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

export interface CloseOptions {
  /** Aborts a long close (the Parquet file being written); nothing reaches the sink after it. */
  signal?: AbortSignal;
  /**
   * Awaited after each chunk a close pushes to the sink, so that a large file is uploaded in parts as
   * it is handed over instead of being held whole in memory.
   */
  drain?: () => Promise<void>;
}

export interface RecordEncoder {
  /** Encodes rows aligned to `fields`; every call to one encoder must pass the same `fields`. */
  write(fields: string[], rows: FieldValue[][]): Promise<void>;
  /**
   * Appends `records` records already in this encoder's wire format (connectors/types.ts EncodedFormat:
   * whole lines, each ending with "\n"), as write() would have encoded them; `longestRecord` is the
   * longest line's UTF-8 bytes. Same `fields` rule as write(); the two may be mixed on one encoder.
   */
  writeEncoded?(fields: string[], data: Buffer, records: number, longestRecord: number): Promise<void>;
  /** Writes any trailer (the Parquet footer) and flushes everything to the sink. */
  close(options?: CloseOptions): Promise<void>;
  /** Releases what an unfinished encoder holds (temp tables, files); safe to call at any time. */
  discard?(): Promise<void>;
  /**
   * Bytes of values held by the encoder that have not reached the sink yet (uncompressed), for
   * encoders that hold a whole object until close; the caller scales it to estimate the object's size.
   */
  pendingBytes?(): number;
}

export type OutputFileType = "CSV" | "JSON" | "PARQUET";

export interface EncoderOptions {
  /** Parquet only: keep number/boolean column types instead of writing every column as a string. */
  preserveSourceDataTyping?: boolean;
  /** Parquet only: where DuckDB's spill files and the file being written go (default: the OS temp dir). */
  tempDir?: string;
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
      return new ParquetEncoder(sink, options.preserveSourceDataTyping ?? false, options.tempDir);
  }
}

/** File name extension of each output type. */
export const fileExtension: Record<OutputFileType, string> = {
  CSV: "csv",
  JSON: "jsonl",
  PARQUET: "parquet",
};

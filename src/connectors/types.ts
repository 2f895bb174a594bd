/**
 * The record pipeline's contracts (DESIGN.md §4) as the connector SDK sees them. Sources yield batches,
 * compiled tasks turn a batch into a batch, destinations consume batches and report what they committed.
 * Every connector call gets one run context (run-context.ts) instead of positional signals.
 */

export type { ConnectorRunContext, RunContext } from "./sdk/run-context.ts";

/** A scalar value in a record. CSV sources yield strings; JSON sources yield JSON scalars. */
export type FieldValue = string | number | boolean | null;

/**
 * Rows are arrays aligned to `fields`: cheaper than one object per record. `bytes` is the number of
 * source bytes this batch was read from (bytesProcessed).
 */
export interface RecordBatch {
  fields: string[];
  rows: FieldValue[][];
  bytes: number;
  /** Field names (from a Partition task) whose values pick the destination partition folder. */
  partitionKeys?: string[];
}

/** What a destination has committed so far: durable in the destination, never to be undone. */
export interface WriteProgress {
  recordsWritten: number;
  bytesWritten: number;
  /** Records the destination rejected (errorHandlingConfig). */
  putFailures: number;
}

/** Server-level settings a connector needs (storage backend, batch sizes), resolved from config. */
export interface ConnectorEnvironment {
  dataDir: string;
  s3: {
    endpoint?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    region?: string;
    /** Partitioned output: objects a run keeps open at once before closing the least recently used. */
    maxOpenObjects?: number;
    /** The longest record (CSV row, JSON line) the S3 source reads, in MB. */
    maxRecordMb?: number;
  };
  redshiftBatchRows: number;
  sourceParallelism: number;
  batchRows: number;
  /** Threads per run transcoding a large CSV object on the fast path (0 or 1: the run's own thread). */
  parseThreads?: number;
  /** Each connector's own settings (its folder's `settings`), by connector type then setting name. */
  connectors?: Record<string, Record<string, unknown>>;
  /** Gauges a connector reports (e.g. Salesforce's API usage), served at /metrics; unset in tests. */
  metrics?: ConnectorMetrics;
}

/**
 * What a connector may expose as metrics: gauges named `sluice_connector_<name>`, with bounded labels
 * (an instance host, never an execution id or a record value).
 */
export interface ConnectorMetrics {
  gauge(name: string, help: string, labels: Record<string, string>, value: number): void;
}

/** A decrypted connector profile: only ever held in memory during a run or a connection test. */
export interface ResolvedProfile {
  connectorProfileName: string;
  connectorType: string;
  properties: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

/**
 * How a connector behaves on cancel (DESIGN.md §1):
 * - "streaming": stops at the next page/record; an in-flight call is aborted by the soft signal.
 * - "batch": the batch in flight (a Bulk API chunk read, a COPY) is finished whole; no new one starts.
 */
export type CommitMode = "streaming" | "batch";

/** One object's bytes, for a source whose records are CSV text (the fast path, engine/fast-path.ts). */
export interface CsvObjectBytes {
  /** For error messages (s3://bucket/key). */
  name: string;
  size: number;
  bytes: AsyncIterable<Buffer>;
}

export interface Source {
  readonly commitMode: CommitMode;
  /**
   * Instead of read(): the objects' bytes one after another, for sources whose records are CSV text
   * (undefined otherwise). Each object's stream must be read to its end or left before the next object
   * is asked for; the source releases it either way.
   */
  csvObjects?(): AsyncIterable<CsvObjectBytes> | undefined;
  /**
   * Yields batches until the data is exhausted. A streaming source stops promptly when `ctx.signal`
   * aborts; a batch source finishes (and yields) the batch it is reading, then requests no other.
   */
  read(): AsyncIterable<RecordBatch>;
  /** The page size / parallelism actually used, reported in executionResult. */
  readonly maxPageSize: number;
  readonly numParallelProcesses: number;
}

/**
 * A wire format a destination can take records in directly, already encoded (the fast path,
 * engine/fast-path.ts): the engine then transcodes a CSV source's bytes into it, skipping rows as JS
 * values. Each is byte for byte what the destination's own encoder writes for the same string values:
 * - "jsonl": JsonLinesEncoder's lines (formats/jsonl-writer.ts);
 * - "csv": CsvEncoder's record lines, without the header (formats/csv-writer.ts);
 * - "copy-text": PostgreSQL COPY text-format lines (redshift/copy-batch.ts copyText);
 * - "staging-csv": DuckdbParquetEncoder's staged CSV lines, every column text (formats/parquet-duckdb-writer.ts).
 */
export type EncodedFormat = "jsonl" | "csv" | "copy-text" | "staging-csv";

/** Whole records in an EncodedFormat, each ending with "\n": `records` of them in `data`. */
export interface EncodedChunk {
  data: Buffer;
  records: number;
}

/**
 * Records already encoded in a destination's EncodedFormat, in order, in one or more chunks of whole
 * records: a batch made of several transcoded pieces is handed over as they are, never joined into one
 * buffer (a join is a copy into fresh memory).
 */
export interface EncodedRecords {
  /** The destination fields, in the order the records hold them. */
  fields: string[];
  chunks: readonly EncodedChunk[];
  /** The chunks' records in all. */
  records: number;
  /** Source bytes these records were read from (bytesProcessed). */
  bytes: number;
  /** UTF-8 bytes of the longest record in `data`, line end included. */
  longestRecord: number;
}

export interface DestinationWriter {
  /**
   * The format writeEncoded takes, when the writer has one for this flow (undefined: record batches
   * only). A writer that has one still accepts write() for sources or tasks the fast path can't serve.
   */
  readonly encodedFormat?: EncodedFormat;
  /** Accepts records already in `encodedFormat`, as write() accepts a batch (same commit and cancel rules). */
  writeEncoded?(records: EncodedRecords): Promise<WriteProgress>;
  /**
   * "streaming": an in-flight write is aborted on cancel (ctx.signal), then abort() drops the rest.
   * "batch": a commit in flight is finished whole (commit calls get ctx.hardSignal only); once
   * ctx.signal has fired no new destination batch starts.
   */
  readonly commitMode: CommitMode;
  /** Accepts one batch (may buffer). Resolves with the progress committed so far. */
  write(batch: RecordBatch): Promise<WriteProgress>;
  /** Flushes and commits everything buffered. Resolves with the final committed progress. */
  finish(): Promise<WriteProgress>;
  /** Drops everything not committed (abort multipart uploads, roll back open transactions). Never throws. */
  abort(): Promise<WriteProgress>;
}

export interface Destination {
  open(): Promise<DestinationWriter>;
  /**
   * A run resumed after its node was lost (an event flow's batch): removes what the earlier attempt of
   * this run wrote, before open(), so the rewrite can't leave any of it beside its own. Only
   * destinations declaring `rewriteReplaces` are resumed.
   */
  discardEarlierAttempt?(signal: AbortSignal): Promise<void>;
}

/**
 * The record pipeline's contracts (DESIGN.md §4). Sources yield batches, compiled tasks turn a batch
 * into a batch, destinations consume batches and report what they committed. Every batch boundary
 * is a cancel checkpoint; every I/O call takes the AbortSignal.
 */
import type { DestinationFlowConfig, FlowDefinition, SourceFlowConfig } from "../domain/flow.ts";

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
}

/** A decrypted connector profile: only ever held in memory during a run or a connection test. */
export interface ResolvedProfile {
  connectorProfileName: string;
  connectorType: string;
  properties: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

export interface RunContext {
  flow: FlowDefinition;
  executionId: string;
  /** When the run started: the destination's path layout uses it (UTC). */
  startedAt: Date;
  env: ConnectorEnvironment;
}

export interface Source {
  /** Yields batches until the data is exhausted. Must stop promptly when `signal` aborts. */
  read(signal: AbortSignal): AsyncIterable<RecordBatch>;
  /** The page size / parallelism actually used, reported in executionResult. */
  readonly maxPageSize: number;
  readonly numParallelProcesses: number;
}

export interface DestinationWriter {
  /**
   * "streaming": the engine aborts an in-flight write on cancel (signal), then calls abort().
   * "batch": a write in flight is finished whole on cancel; the engine then stops (no new batch).
   */
  readonly commitMode: "streaming" | "batch";
  /**
   * Accepts one batch (may buffer). Resolves with the progress committed so far. `stop` (batch mode):
   * once it has fired, no new destination batch starts; the one in flight is finished whole.
   */
  write(batch: RecordBatch, signal: AbortSignal, stop?: AbortSignal): Promise<WriteProgress>;
  /** Flushes and commits everything buffered. Resolves with the final committed progress. */
  finish(signal: AbortSignal): Promise<WriteProgress>;
  /** Drops everything not committed (abort multipart uploads, roll back open transactions). Never throws. */
  abort(): Promise<WriteProgress>;
}

export interface Destination {
  open(signal: AbortSignal): Promise<DestinationWriter>;
}

export interface ConnectorDescriptor {
  connectorType: string;
  canSource: boolean;
  canDestination: boolean;
  requiresProfile: boolean;
  supportedTriggerTypes: ("Scheduled" | "Event" | "OnDemand")[];
  supportedOperators: string[];
  supportedWriteOperations: string[];
  supportedFileTypes?: string[];
  createSource?(config: SourceFlowConfig, ctx: RunContext, profile?: ResolvedProfile): Source;
  createDestination?(config: DestinationFlowConfig, ctx: RunContext, profile?: ResolvedProfile): Destination;
  /** Checks that a profile can connect; throws ConnectorAuthenticationError / ConnectorServerError. */
  testProfile?(profile: ResolvedProfile, signal: AbortSignal): Promise<void>;
}

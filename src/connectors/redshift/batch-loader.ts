/**
 * How a Redshift destination gets one batch into its table, whole or not at all. Three loaders share
 * this interface: COPY FROM STDIN (PostgreSQL), COPY FROM 's3://…' over the PostgreSQL protocol
 * (Amazon Redshift), and COPY FROM 's3://…' through the Redshift Data API. Failures are thrown as the
 * SDK's classes (sdk/failures.ts): RecordsRejectedError, RetryableBatchError, ConnectorServerError,
 * ConnectorAuthenticationError — or the abort reason when the hard signal fired.
 */
import type { FieldValue } from "../types.ts";
import type { EncodedBatch } from "./copy-batch.ts";

export interface BatchLoader {
  /** The table's columns, in table order. */
  readonly columns: readonly string[];
  /** host:port/database or cluster/workgroup, for messages. */
  readonly where: string;
  /**
   * How many load() calls may be in flight at once (default 1): each on its own connection, so one
   * batch's COMMIT (a WAL flush) overlaps the next batch's COPY.
   */
  readonly parallel?: number;
  /** `columns` are quoted column identifiers, in the rows' order. */
  load(columns: readonly string[], rows: readonly FieldValue[][], signal: AbortSignal): Promise<number>;
  /** Loads a batch encoded as COPY text (copy-batch.ts) as it was written; COPY FROM STDIN only. */
  loadEncoded?(columns: readonly string[], batch: EncodedBatch, signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

/**
 * Redshift as a flow destination (write operation INSERT, commitMode "batch"). Rows are buffered into
 * batches of env.redshiftBatchRows; each batch is loaded whole or not at all by a BatchLoader (COPY FROM
 * STDIN on PostgreSQL; COPY FROM S3 on Amazon Redshift). Failures, as classified by the loader:
 * - records rejected as data: the run fails (failOnFirstDestinationError), or the batch is written as
 *   CSV to the error bucket — `<errorBucketPrefix>/<flowName>/<executionId>/rejected-<N>.csv` in
 *   errorHandlingConfig.bucketName (default: the intermediate bucket) — and counted in putFailures;
 * - transport failures (the batch was rolled back): the batch is sent again with bounded backoff, then
 *   the run ends Error saying what happened;
 * - anything else ends the run Error.
 * A commit in flight gets only the hard signal; after a cancel (soft signal) no new batch starts.
 * With a loader that takes several batches at once (COPY FROM STDIN: one per connection), loading
 * overlaps reading and one batch commits while the next is copied. Counts grow only as commits are
 * acknowledged, so they never exceed what the table holds.
 * With COPY FROM STDIN the writer also takes records already encoded as COPY text (writeEncoded, the
 * fast path): their bytes are appended to the batch being filled, cut at the same batch boundaries.
 */
import { ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import type { DestinationFlowConfig } from "../../domain/flow.ts";
import { csvLine } from "../../formats/csv-writer.ts";
import { openObjectStore } from "../s3/open-object-store.ts";
import { RecordsRejectedError, type RetryPolicy, retryBatch } from "../sdk/failures.ts";
import type {
  ConnectorRunContext,
  Destination,
  DestinationWriter,
  EncodedFormat,
  EncodedRecords,
  FieldValue,
  RecordBatch,
  WriteProgress,
} from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { appendChunk, appendText, decodeRows, ENCODE_ROWS, type EncodedBatch } from "./copy-batch.ts";
import { openLoader } from "./open-loader.ts";
import { parseObjectName, quoteIdent } from "./redshift-connection.ts";
import { readRedshiftSettings } from "./settings.ts";
import type { RedshiftDestinationProperties } from "./shapes.ts";

export function createRedshiftDestination(
  config: DestinationFlowConfig,
  ctx: ConnectorRunContext,
): Destination {
  const props = config.destinationConnectorProperties.Redshift as RedshiftDestinationProperties | undefined;
  if (!props?.object) throw new ValidationError("destinationConnectorProperties.Redshift.object is required");
  const profile = ctx.profile;
  if (!profile) throw new ValidationError("The Redshift destination needs a connector profile");
  const { schema, table } = parseObjectName(props.object);
  return {
    async open(): Promise<DestinationWriter> {
      const loader = await openLoader(profile, props, ctx, schema, table);
      if (loader.columns.length === 0) {
        await loader.close();
        throw new ConnectorServerError(`The table ${schema}.${table} does not exist`);
      }
      const errors = props.errorHandlingConfig ?? {};
      return new RedshiftWriter(loader, {
        schema,
        table,
        batchRows: Math.max(1, ctx.env.redshiftBatchRows),
        failFast: errors.failOnFirstDestinationError ?? false,
        errorBucket: errors.bucketName ?? props.intermediateBucketName,
        errorPrefix: [errors.bucketPrefix?.replace(/^\/+|\/+$/g, ""), ctx.flow.flowName, ctx.executionId]
          .filter(Boolean)
          .join("/"),
        retry: readRedshiftSettings(ctx.env).retry,
        ctx,
      });
    },
  };
}

/** A batch handed to the loader: rows, or (COPY FROM STDIN) the COPY text they were encoded to. */
type Batch = { rows: FieldValue[][] } | { encoded: EncodedBatch };

interface WriterOptions {
  schema: string;
  table: string;
  batchRows: number;
  failFast: boolean;
  errorBucket: string;
  errorPrefix: string;
  retry: RetryPolicy;
  ctx: ConnectorRunContext;
}

class RedshiftWriter implements DestinationWriter {
  readonly commitMode = "batch" as const;
  /** COPY text is what the COPY FROM STDIN loader sends; the S3-staging loaders take rows only. */
  readonly encodedFormat: EncodedFormat | undefined;
  private readonly progress: WriteProgress = { recordsWritten: 0, bytesWritten: 0, putFailures: 0 };
  private fields: string[] | undefined;
  private columns: string[] = [];
  /** Rows not yet encoded (with an encoding loader, fewer than ENCODE_ROWS) or not yet loaded. */
  private pending: FieldValue[][] = [];
  /** With a loader of encoded batches: the batch being filled, as COPY text. */
  private encoded: EncodedBatch | undefined;
  private readonly encodes: boolean;
  private rejected = 0;
  private closed = false;
  /** Batches being loaded (at most `parallel`). */
  private readonly loading = new Set<Promise<void>>();
  private failed: { error: unknown } | undefined;
  private readonly parallel: number;

  constructor(
    private readonly loader: BatchLoader,
    private readonly o: WriterOptions,
  ) {
    this.parallel = Math.max(1, loader.parallel ?? 1);
    this.encodes = loader.loadEncoded !== undefined;
    this.encodedFormat = this.encodes ? "copy-text" : undefined;
  }

  private get pendingRows(): number {
    return this.pending.length + (this.encoded?.rows ?? 0);
  }

  private encodePending(): void {
    if (this.pending.length === 0) return;
    this.encoded ??= { chunks: [], rows: 0, bytes: 0 };
    appendChunk(this.encoded, this.pending);
    this.pending = [];
  }

  async write(batch: RecordBatch): Promise<WriteProgress> {
    this.prepare(batch.fields);
    for (const row of batch.rows) {
      // Cancelled: the batches in flight commit; no new batch starts (abort() drops the rest).
      if (this.o.ctx.signal.aborted) break;
      this.pending.push(row);
      if (this.encodes && this.pending.length >= ENCODE_ROWS) this.encodePending();
      if (this.pendingRows >= this.o.batchRows) await this.flush();
    }
    this.throwIfFailed();
    return { ...this.progress };
  }

  /**
   * Records already encoded as copyText() lines for `records.fields`: appended to the batch being
   * filled without being decoded, and cut at the same batch boundaries as write()'s rows. The batch
   * holds views of the chunks' buffers (no copy) until it is loaded: the caller hands them over.
   */
  async writeEncoded(records: EncodedRecords): Promise<WriteProgress> {
    if (!this.encodes) throw new ConnectorServerError(`${this.loader.where} takes no encoded records`);
    this.prepare(records.fields);
    this.encodePending(); // rows from an earlier write() go first
    for (const chunk of records.chunks) {
      let data = chunk.data;
      let left = chunk.records;
      while (left > 0) {
        // Cancelled: as in write(), no new batch starts and abort() drops what is not loaded.
        if (this.o.ctx.signal.aborted) break;
        const room = this.o.batchRows - this.pendingRows;
        const take = Math.min(left, Math.max(0, room));
        const end = take === left ? data.length : lineEnd(data, take);
        this.encoded ??= { chunks: [], rows: 0, bytes: 0 };
        appendText(this.encoded, data.subarray(0, end), take);
        data = data.subarray(end);
        left -= take;
        if (this.pendingRows >= this.o.batchRows) await this.flush();
      }
    }
    this.throwIfFailed();
    return { ...this.progress };
  }

  async finish(): Promise<WriteProgress> {
    if (this.pendingRows > 0) await this.flush();
    await this.drain();
    this.throwIfFailed();
    await this.close();
    return { ...this.progress };
  }

  async abort(): Promise<WriteProgress> {
    this.pending = [];
    this.encoded = undefined;
    // Batches in flight are committed whole (or rolled back by the hard signal) and counted first.
    await this.drain();
    await this.close();
    return { ...this.progress };
  }

  /** Maps batch fields to table columns (exact name, else case-insensitive), once. */
  private prepare(fields: string[]): void {
    if (this.fields) {
      if (fields.length !== this.fields.length || fields.some((f, i) => f !== this.fields![i])) {
        throw new ConnectorServerError("Every batch sent to Redshift must have the same fields");
      }
      return;
    }
    const known = this.loader.columns;
    const byLower = new Map(known.map((c) => [c.toLowerCase(), c]));
    this.columns = fields.map((f) => {
      const col = known.includes(f) ? f : byLower.get(f.toLowerCase());
      if (!col)
        throw new ConnectorServerError(`The table ${this.o.schema}.${this.o.table} has no column "${f}"`);
      return quoteIdent(col);
    });
    this.fields = [...fields];
  }

  /**
   * Starts loading the pending rows as soon as the loader can take another batch. With a loader that
   * takes several, it returns while the batch loads (the next rows are read, parsed and transformed
   * meanwhile), and the first failure is thrown by the next write, flush or finish.
   */
  private async flush(): Promise<void> {
    while (this.loading.size >= this.parallel) await Promise.race(this.loading);
    this.throwIfFailed();
    // Cancelled while waiting for a connection: no new batch starts (abort() drops these rows).
    if (this.o.ctx.signal.aborted) return;
    let batch: Batch;
    if (this.encodes) {
      this.encodePending();
      batch = { encoded: this.encoded ?? { chunks: [], rows: 0, bytes: 0 } };
      this.encoded = undefined;
    } else {
      batch = { rows: this.pending };
      this.pending = [];
    }
    const p: Promise<void> = this.load(batch)
      .catch((error: unknown) => {
        this.failed ??= { error };
      })
      .finally(() => this.loading.delete(p));
    this.loading.add(p);
    // A loader of one batch at a time (Amazon Redshift's COPY FROM S3) is waited for here, as before.
    if (this.parallel === 1) {
      await p;
      this.throwIfFailed();
    }
  }

  private async drain(): Promise<void> {
    while (this.loading.size > 0) await Promise.all(this.loading);
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed.error;
  }

  private async load(batch: Batch): Promise<void> {
    const hard = this.o.ctx.hardSignal;
    hard.throwIfAborted();
    const count = "rows" in batch ? batch.rows.length : batch.encoded.rows;
    const what = `Loading a batch of ${count} records into ${this.o.schema}.${this.o.table}`;
    try {
      const bytes = await retryBatch(what, this.o.retry, hard, this.o.ctx.log, () =>
        "rows" in batch
          ? this.loader.load(this.columns, batch.rows, hard)
          : this.loader.loadEncoded!(this.columns, batch.encoded, hard),
      );
      this.progress.recordsWritten += count;
      this.progress.bytesWritten += bytes;
      this.o.ctx.progress({ ...this.progress });
    } catch (e) {
      if (!(e instanceof RecordsRejectedError)) throw e;
      if (this.o.failFast) throw new ConnectorServerError(e.message);
      await this.saveRejected("rows" in batch ? batch.rows : decodeRows(batch.encoded), hard);
      this.progress.putFailures += count;
      this.o.ctx.progress({ ...this.progress });
    }
  }

  private async saveRejected(rows: FieldValue[][], signal: AbortSignal): Promise<void> {
    const store = openObjectStore(this.o.ctx.env);
    const key = `${this.o.errorPrefix}/rejected-${String(this.rejected++).padStart(5, "0")}.csv`;
    const body = csvLine(this.fields ?? []) + rows.map(csvLine).join("");
    await store.put(this.o.errorBucket, key, Buffer.from(body), signal);
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.loader.close();
  }
}

/** The offset just past the `n`th line feed of COPY text (a value's own line feeds are escaped). */
function lineEnd(data: Buffer, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = data.indexOf(10, at + 1);
    if (at < 0) throw new ConnectorServerError(`Encoded records hold fewer lines than the ${n} counted`);
  }
  return at + 1;
}

/**
 * Redshift as a flow destination (write operation INSERT, commitMode "batch"). Rows are buffered into
 * batches of env.redshiftBatchRows and each batch goes in with COPY ... FROM STDIN in its own
 * transaction. A rejected batch either fails the run (failOnFirstDestinationError) or is written as CSV to
 * the error bucket — `<errorBucketPrefix>/<flowName>/<executionId>/rejected-<N>.csv` in
 * errorHandlingConfig.bucketName (default: the intermediate bucket) — and counted in putFailures.
 */
import type pg from "pg";
import { ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import type { DestinationFlowConfig } from "../../domain/flow.ts";
import { csvLine } from "../../formats/csv-writer.ts";
import { openObjectStore } from "../s3/open-object-store.ts";
import type {
  Destination,
  DestinationWriter,
  FieldValue,
  RecordBatch,
  ResolvedProfile,
  RunContext,
  WriteProgress,
} from "../types.ts";
import { copyBatch } from "./copy-batch.ts";
import {
  type ConnectionTarget,
  connect,
  connectionTarget,
  parseObjectName,
  quoteIdent,
  redact,
} from "./redshift-connection.ts";

export function createRedshiftDestination(
  config: DestinationFlowConfig,
  ctx: RunContext,
  profile?: ResolvedProfile,
): Destination {
  const props = config.destinationConnectorProperties.Redshift;
  if (!props?.object) throw new ValidationError("destinationConnectorProperties.Redshift.object is required");
  if (!profile) throw new ValidationError("The Redshift destination needs a connector profile");
  const target = connectionTarget(profile);
  const { schema, table } = parseObjectName(props.object);
  return {
    async open(signal: AbortSignal): Promise<DestinationWriter> {
      const client = await connect(target, signal);
      try {
        const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
        const cols = await client.query<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
          [schema, table],
        );
        if (cols.rows.length === 0)
          throw new ConnectorServerError(`The table ${schema}.${table} does not exist`);
        const errors = props.errorHandlingConfig ?? {};
        return new RedshiftWriter(client, pid, target, {
          schema,
          table,
          columns: cols.rows.map((r) => r.column_name),
          batchRows: Math.max(1, ctx.env.redshiftBatchRows),
          failFast: errors.failOnFirstDestinationError ?? false,
          errorBucket: errors.bucketName ?? props.intermediateBucketName,
          errorPrefix: [errors.bucketPrefix?.replace(/^\/+|\/+$/g, ""), ctx.flow.flowName, ctx.executionId]
            .filter(Boolean)
            .join("/"),
          ctx,
        });
      } catch (e) {
        await client.end().catch(() => {});
        throw e;
      }
    },
  };
}

interface WriterOptions {
  schema: string;
  table: string;
  columns: string[];
  batchRows: number;
  failFast: boolean;
  errorBucket: string;
  errorPrefix: string;
  ctx: RunContext;
}

class RedshiftWriter implements DestinationWriter {
  readonly commitMode = "batch" as const;
  private readonly progress: WriteProgress = { recordsWritten: 0, bytesWritten: 0, putFailures: 0 };
  private fields: string[] | undefined;
  private copySql = "";
  private pending: FieldValue[][] = [];
  private rejected = 0;
  private closed = false;

  constructor(
    private readonly client: pg.Client,
    private readonly pid: number,
    private readonly target: ConnectionTarget,
    private readonly o: WriterOptions,
  ) {}

  async write(batch: RecordBatch, signal: AbortSignal, stop?: AbortSignal): Promise<WriteProgress> {
    this.prepare(batch.fields);
    for (const row of batch.rows) {
      // Cancelled: the batch that was in flight has committed; no new batch starts (abort() drops the rest).
      if (stop?.aborted) break;
      this.pending.push(row);
      if (this.pending.length >= this.o.batchRows) await this.flush(signal);
    }
    return { ...this.progress };
  }

  async finish(signal: AbortSignal): Promise<WriteProgress> {
    if (this.pending.length > 0) await this.flush(signal);
    await this.close();
    return { ...this.progress };
  }

  async abort(): Promise<WriteProgress> {
    this.pending = [];
    await this.close();
    return { ...this.progress };
  }

  /** Maps batch fields to table columns (exact name, else case-insensitive) and builds the COPY once. */
  private prepare(fields: string[]): void {
    if (this.fields) {
      if (fields.length !== this.fields.length || fields.some((f, i) => f !== this.fields![i])) {
        throw new ConnectorServerError("Every batch sent to Redshift must have the same fields");
      }
      return;
    }
    const byLower = new Map(this.o.columns.map((c) => [c.toLowerCase(), c]));
    const columns = fields.map((f) => {
      const col = this.o.columns.includes(f) ? f : byLower.get(f.toLowerCase());
      if (!col)
        throw new ConnectorServerError(`The table ${this.o.schema}.${this.o.table} has no column "${f}"`);
      return quoteIdent(col);
    });
    this.fields = [...fields];
    this.copySql = `COPY ${quoteIdent(this.o.schema)}.${quoteIdent(this.o.table)} (${columns.join(", ")}) FROM STDIN WITH (FORMAT csv)`;
  }

  private async flush(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted(); // no new batch starts after a cancel
    const rows = this.pending;
    this.pending = [];
    try {
      const bytes = await copyBatch(this.client, this.pid, this.target, this.copySql, rows, signal);
      this.progress.recordsWritten += rows.length;
      this.progress.bytesWritten += bytes;
    } catch (e) {
      if (signal.aborted || (e as Error).name === "AbortError") throw e;
      const code = (e as { code?: string }).code;
      const message = redact(e instanceof Error ? e.message : String(e), this.target);
      if (this.o.failFast || !code) {
        throw new ConnectorServerError(
          `Redshift rejected a batch of ${rows.length} records for ${this.o.schema}.${this.o.table}: ${message}${code ? ` (SQLSTATE ${code})` : ""}`,
        );
      }
      await this.saveRejected(rows, signal);
      this.progress.putFailures += rows.length;
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
    await this.client.end().catch(() => {});
  }
}

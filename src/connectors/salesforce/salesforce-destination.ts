/**
 * Salesforce as a flow destination: INSERT, UPSERT (idFieldNames[0] is the external id field), UPDATE
 * and DELETE (idFieldNames[0], default Id, holds the record id). Records go through Bulk API 2.0 ingest
 * jobs of up to INGEST_JOB_ROWS records, or REST sObject Collections of 200; AUTOMATIC uses REST when
 * the run has fewer than 1,000 records (as AppFlow documents), which it knows once it has seen 1,000 or
 * the end. Records Salesforce refuses count in putFailures and go, as CSV with an sf__Error column, to
 * errorHandlingConfig.bucketName when it is set; failOnFirstDestinationError ends the run at the first.
 *
 * commitMode "batch": an ingest job's UploadComplete and a Collections call are commits and take only
 * the hard signal — an uploaded job is left to finish and its results are counted before the run ends
 * Canceled. A job not yet uploaded is aborted; after a cancel no new job or call starts.
 */
import { ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import type { DestinationFlowConfig } from "../../domain/flow.ts";
import { csvLine } from "../../formats/csv-writer.ts";
import { openObjectStore } from "../s3/open-object-store.ts";
import type {
  ConnectorRunContext,
  Destination,
  DestinationWriter,
  FieldValue,
  RecordBatch,
  WriteProgress,
} from "../types.ts";
import { type FailedRecord, IngestJob, type IngestSpec, type SfOperation } from "./bulk-ingest.ts";
import { COLLECTION_SIZE, writeCollection } from "./collections.ts";
import { openSalesforce, type SalesforceConnection } from "./connection.ts";
import { DEFAULT_POLL } from "./sf-backoff.ts";
import type { SalesforceDestinationProperties } from "./shapes.ts";

/** AppFlow's documented switch-over for destinations: REST below this many records. */
export const REST_BELOW = 1000;
/** Records per Bulk API 2.0 ingest job (one CSV upload; Salesforce allows up to 150 MB). */
export const INGEST_JOB_ROWS = 10_000;

const OPERATIONS: Record<string, SfOperation> = {
  INSERT: "insert",
  UPSERT: "upsert",
  UPDATE: "update",
  DELETE: "delete",
};

export function createSalesforceDestination(
  config: DestinationFlowConfig,
  ctx: ConnectorRunContext,
): Destination {
  const props = config.destinationConnectorProperties.Salesforce as
    | SalesforceDestinationProperties
    | undefined;
  if (!props?.object)
    throw new ValidationError("destinationConnectorProperties.Salesforce.object is required");
  const profile = ctx.profile;
  if (!profile) throw new ValidationError("A Salesforce destination needs a connector profile");
  const op = OPERATIONS[props.writeOperationType ?? "INSERT"] as SfOperation;
  const idField = props.idFieldNames?.[0];
  if (op === "upsert" && !idField)
    throw new ValidationError(
      "destinationConnectorProperties.Salesforce.idFieldNames must name the external id field for UPSERT",
    );
  const spec: IngestSpec = {
    object: props.object,
    operation: op,
    ...(op === "upsert" ? { externalIdFieldName: idField } : {}),
  };
  const errors = props.errorHandlingConfig ?? {};
  return {
    async open(): Promise<DestinationWriter> {
      const conn = openSalesforce({
        profile,
        env: ctx.env,
        save: ctx.saveCredentials,
        apiVersion: config.apiVersion,
        log: ctx.log,
      });
      return new SalesforceWriter(conn, spec, ctx, {
        api: props.dataTransferApi ?? "AUTOMATIC",
        idField: op === "update" || op === "delete" ? (idField ?? "Id") : undefined,
        failFast: errors.failOnFirstDestinationError ?? false,
        errorBucket: errors.bucketName,
        errorPrefix: [errors.bucketPrefix?.replace(/^\/+|\/+$/g, ""), ctx.flow.flowName, ctx.executionId]
          .filter(Boolean)
          .join("/"),
      });
    },
  };
}

interface WriterOptions {
  api: "AUTOMATIC" | "BULKV2" | "REST_SYNC";
  /** UPDATE / DELETE: the field holding the record id (sent as Id). */
  idField?: string;
  failFast: boolean;
  errorBucket?: string;
  errorPrefix: string;
}

class SalesforceWriter implements DestinationWriter {
  readonly commitMode = "batch" as const;
  private readonly progress: WriteProgress = { recordsWritten: 0, bytesWritten: 0, putFailures: 0 };
  private fields: string[] | undefined;
  private pending: FieldValue[][] = [];
  private seen = 0;
  /** Decided: "REST" or "BULKV2"; undefined while AUTOMATIC hasn't seen 1,000 records or the end. */
  private mode: "REST" | "BULKV2" | undefined;
  private job?: IngestJob;
  private failedFiles = 0;
  private logged = false;

  constructor(
    private readonly conn: SalesforceConnection,
    private readonly spec: IngestSpec,
    private readonly ctx: ConnectorRunContext,
    private readonly o: WriterOptions,
  ) {
    if (o.api === "BULKV2") this.mode = "BULKV2";
    if (o.api === "REST_SYNC") this.mode = "REST";
  }

  async write(batch: RecordBatch): Promise<WriteProgress> {
    const { fields, rows } = this.shape(batch);
    if (this.fields && this.fields.join("\u0000") !== fields.join("\u0000")) {
      // One CSV header per job: flush what has another layout first.
      await this.flush(true);
    }
    this.fields = fields;
    for (const r of rows) this.pending.push(r);
    this.seen += rows.length;
    if (this.mode === undefined && this.seen >= REST_BELOW) this.mode = "BULKV2";
    await this.flush(false);
    return { ...this.progress };
  }

  async finish(): Promise<WriteProgress> {
    this.mode ??= "REST"; // the whole run had fewer than 1,000 records
    await this.flush(true);
    return { ...this.progress };
  }

  async abort(): Promise<WriteProgress> {
    this.pending = [];
    await this.job?.abort(this.ctx.hardSignal);
    return { ...this.progress };
  }

  /** Sends full units (a job, a collection); with `all`, the remainder too. Nothing new after a cancel. */
  private async flush(all: boolean): Promise<void> {
    if (this.mode === undefined && !all) return;
    this.mode ??= "REST";
    const unit = this.mode === "REST" ? COLLECTION_SIZE : INGEST_JOB_ROWS;
    while (this.pending.length >= unit || (all && this.pending.length > 0)) {
      if (this.ctx.signal.aborted) return;
      const rows = this.pending.splice(0, unit);
      if (!this.logged) {
        this.logged = true;
        this.ctx.log.info(
          { api: this.mode, operation: this.spec.operation, dataTransferApi: this.o.api },
          `Salesforce destination: ${this.mode === "BULKV2" ? "Bulk API 2.0" : "REST sObject Collections"} for ${this.spec.object}`,
        );
      }
      await (this.mode === "REST" ? this.sendCollection(rows) : this.sendJob(rows));
    }
  }

  private async sendJob(rows: FieldValue[][]): Promise<void> {
    const fields = this.fields ?? [];
    const job = new IngestJob(this.conn.client, this.spec, DEFAULT_POLL);
    this.job = job;
    const out = await job.run(fields, rows, this.ctx.signal, this.ctx.hardSignal);
    this.job = undefined;
    this.ctx.log.info(
      { jobId: out.jobId, processed: out.processed, failed: out.failed.length },
      "Salesforce ingest job done",
    );
    const ok = Math.max(0, out.processed - out.failed.length);
    await this.count(ok, rows.length > 0 ? Math.round((out.bytes * ok) / rows.length) : 0, out.failed);
  }

  private async sendCollection(rows: FieldValue[][]): Promise<void> {
    const fields = this.fields ?? [];
    const out = await writeCollection(this.conn.client, this.spec, fields, rows, this.ctx.hardSignal);
    const bytes = rows.reduce((n, r, i) => (i < out.ok ? n + Buffer.byteLength(csvLine(r)) : n), 0);
    await this.count(out.ok, bytes, out.failed);
  }

  private async count(ok: number, bytes: number, failed: FailedRecord[]): Promise<void> {
    this.progress.recordsWritten += ok;
    this.progress.bytesWritten += bytes;
    this.progress.putFailures += failed.length;
    this.ctx.progress({ ...this.progress });
    if (failed.length === 0) return;
    if (this.o.errorBucket) await this.saveFailed(failed);
    if (this.o.failFast) {
      const first = failed[0] as FailedRecord;
      throw new ConnectorServerError(
        `Salesforce refused ${failed.length} record${failed.length === 1 ? "" : "s"} of ${this.spec.object} (first: ${first.error}); failOnFirstDestinationError is set`,
      );
    }
  }

  private async saveFailed(failed: FailedRecord[]): Promise<void> {
    const store = openObjectStore(this.ctx.env);
    const key = `${this.o.errorPrefix}/failed-${String(this.failedFiles++).padStart(5, "0")}.csv`;
    const header = ["sf__Error", ...(failed[0]?.fields ?? [])];
    const body = csvLine(header) + failed.map((f) => csvLine([f.error, ...f.values])).join("");
    await store.put(this.o.errorBucket as string, key, Buffer.from(body), this.ctx.hardSignal);
  }

  /** The batch as Salesforce columns: the id field sent as Id for UPDATE / DELETE; DELETE sends only Id. */
  private shape(batch: RecordBatch): { fields: string[]; rows: FieldValue[][] } {
    const idField = this.o.idField;
    if (!idField) return { fields: batch.fields, rows: batch.rows };
    const at = batch.fields.findIndex((f) => f.toLowerCase() === idField.toLowerCase());
    if (at < 0)
      throw new ValidationError(
        `the records have no field '${idField}' holding the Salesforce record id for ${this.spec.operation.toUpperCase()}`,
      );
    if (this.spec.operation === "delete")
      return { fields: ["Id"], rows: batch.rows.map((r) => [r[at] ?? null]) };
    const fields = batch.fields.map((f, i) => (i === at ? "Id" : f));
    return { fields, rows: batch.rows };
  }
}

/**
 * Bulk API 2.0 ingest jobs: create, upload CSV, UploadComplete, processing, abort, and the three result
 * sets.
 *
 * Docs: Bulk API 2.0 Developer Guide — "Create a Job" (POST /services/data/vXX.X/jobs/ingest {object,
 * operation insert | update | upsert | delete | hardDelete, externalIdFieldName, contentType CSV}; state
 * Open, contentUrl), "Upload Job Data" (PUT …/jobs/ingest/{id}/batches, text/csv, 201 Created),
 * "Upload Complete" and "Abort a Job" (PATCH {state: UploadComplete | Aborted}), "Get Information About
 * an Ingest Job" (jobType V2Ingest, numberRecordsProcessed, numberRecordsFailed), "Get Job Successful
 * Record Results" (CSV: sf__Id, sf__Created, then the uploaded columns), "Get Job Failed Record Results"
 * (sf__Id, sf__Error "STATUS_CODE:message:fields --", then the uploaded columns), "Get Job Unprocessed
 * Record Results" (the uploaded columns of rows never processed: the job was aborted or failed).
 * Records are written when the job reaches JobComplete, row by row (no all-or-none: one bad row fails
 * alone), and each write emits its change event.
 */
import { inferSchema, initParser } from "udsv";
import {
  invalidJobState,
  type JobBase,
  type JobState,
  jobInfo,
  newJobId,
  timedState,
} from "./bulk-common.ts";
import { badRequest, notFound } from "./errors.ts";
import { type Ctx, jsonBody, type Route, send, sendJson } from "./http.ts";
import type { Knobs } from "./knobs.ts";
import type { Operation, Org } from "./org.ts";
import { csvLine, RecordError } from "./values.ts";

interface IngestJob extends JobBase {
  externalIdFieldName?: string;
  columns?: string[];
  rows: string[][];
  startedAt?: number;
  queuedMs: number;
  totalMs: number;
  final?: JobState;
  fail?: string;
  ok: { id: string; created: boolean; row: string[] }[];
  failed: { id: string; error: string; row: string[] }[];
  unprocessed: string[][];
}

const OPERATIONS = new Set(["insert", "update", "upsert", "delete", "hardDelete"]);

export class BulkIngest {
  private readonly jobs = new Map<string, IngestJob>();
  private failNext: string[] = [];

  constructor(
    private readonly org: Org,
    private readonly knobs: () => Knobs,
    private readonly now: () => number,
    private readonly userId: string,
  ) {}

  failNextJob(message: string): void {
    this.failNext.push(message);
  }

  routes(): Route[] {
    const v = String.raw`^/services/data/v(\d+\.\d)/jobs/ingest`;
    const id = String.raw`(\w{15,18})`;
    return [
      { method: "POST", pattern: new RegExp(`${v}/?$`), handler: (ctx) => this.create(ctx) },
      {
        method: "GET",
        pattern: new RegExp(`${v}/?$`),
        handler: (ctx) =>
          sendJson(ctx, 200, {
            done: true,
            records: [...this.jobs.values()].map((j) => this.info(j)),
            nextRecordsUrl: null,
          }),
      },
      {
        method: "GET",
        pattern: new RegExp(`${v}/${id}/?$`),
        handler: (ctx, m) => sendJson(ctx, 200, this.info(this.job(m[2]!))),
      },
      {
        method: "PUT",
        pattern: new RegExp(`${v}/${id}/batches/?$`),
        handler: (ctx, m) => this.upload(ctx, this.job(m[2]!)),
      },
      {
        method: "PATCH",
        pattern: new RegExp(`${v}/${id}/?$`),
        handler: (ctx, m) => this.patch(ctx, this.job(m[2]!)),
      },
      {
        method: "DELETE",
        pattern: new RegExp(`${v}/${id}/?$`),
        handler: (ctx, m) => this.remove(ctx, m[2]!),
      },
      {
        method: "GET",
        pattern: new RegExp(`${v}/${id}/(successfulResults|failedResults|unprocessedrecords)/?$`),
        handler: (ctx, m) => this.results(ctx, this.job(m[2]!), m[3]!),
      },
    ];
  }

  private job(id: string): IngestJob {
    const j = this.jobs.get(id);
    if (!j) throw notFound(`no ingest job ${id}`);
    return j;
  }

  /** Advances a job on the clock; processing happens at the moment it becomes JobComplete. */
  state(j: IngestJob): JobState {
    if (j.final) return j.final;
    if (j.startedAt === undefined) return "Open";
    const s = timedState(j.startedAt, j.queuedMs, j.totalMs, this.now());
    if (s !== "JobComplete") return s;
    j.modifiedAt = this.now();
    if (j.fail) {
      j.final = "Failed";
      j.errorMessage = j.fail;
      j.unprocessed = j.rows;
      return j.final;
    }
    this.process(j);
    j.final = "JobComplete";
    return j.final;
  }

  /** Advances every job (the server's clock tick). */
  tick(): void {
    for (const j of this.jobs.values()) this.state(j);
  }

  private process(j: IngestJob): void {
    const op: Operation = j.operation === "hardDelete" ? "delete" : (j.operation as Operation);
    const cols = j.columns ?? [];
    for (const row of j.rows) {
      const input: Record<string, unknown> = {};
      cols.forEach((c, i) => {
        input[c] = row[i] ?? "";
      });
      try {
        const p = this.org.prepare(op, j.object, input, "csv", j.externalIdFieldName);
        const [id] = this.org.commit([p], "bulkapi");
        j.ok.push({ id: id!, created: p.created, row });
      } catch (e) {
        if (!(e instanceof RecordError)) throw e;
        const idCol = cols.findIndex((c) => c.toLowerCase() === "id");
        j.failed.push({
          id: idCol >= 0 ? (row[idCol] ?? "") : "",
          error: `${e.statusCode}:${e.message}:${e.fields.join(",")} --`,
          row,
        });
      }
    }
  }

  private info(j: IngestJob): Record<string, unknown> {
    const state = this.state(j);
    return jobInfo(j, state, {
      jobType: "V2Ingest",
      ...(j.externalIdFieldName ? { externalIdFieldName: j.externalIdFieldName } : {}),
      contentUrl: `services/data/v${j.apiVersion}/jobs/ingest/${j.id}/batches`,
      numberRecordsProcessed: j.ok.length + j.failed.length,
      numberRecordsFailed: j.failed.length,
      retries: 0,
      totalProcessingTime: state === "JobComplete" ? j.totalMs : 0,
      apiActiveProcessingTime: state === "JobComplete" ? j.totalMs : 0,
      apexProcessingTime: 0,
    });
  }

  private create(ctx: Ctx): void {
    const b = jsonBody<{
      object?: string;
      operation?: string;
      externalIdFieldName?: string;
      contentType?: string;
      columnDelimiter?: string;
      lineEnding?: string;
    }>(ctx);
    if (!b.object || !this.org.object(b.object))
      throw badRequest(
        "INVALIDENTITY",
        `InvalidEntity : Entity '${String(b.object)}' is not supported by the Bulk API.`,
      );
    if (!b.operation || !OPERATIONS.has(b.operation))
      throw badRequest("INVALIDJOB", `InvalidJob : Invalid operation: ${String(b.operation)}`);
    if (b.operation === "upsert" && !b.externalIdFieldName)
      throw badRequest("INVALIDJOB", "InvalidJob : External ID was blank for upsert");
    if ((b.contentType && b.contentType !== "CSV") || (b.columnDelimiter && b.columnDelimiter !== "COMMA"))
      throw badRequest(
        "INVALIDJOB",
        "the fake Salesforce only implements contentType CSV with columnDelimiter COMMA",
      );
    const k = this.knobs();
    const now = this.now();
    const j: IngestJob = {
      id: newJobId(),
      object: this.org.object(b.object)!.name,
      operation: b.operation,
      externalIdFieldName: b.externalIdFieldName,
      createdAt: now,
      modifiedAt: now,
      apiVersion: ctx.version,
      userId: this.userId,
      rows: [],
      queuedMs: k.ingestJobQueuedMs,
      totalMs: k.ingestJobMs,
      fail: this.failNext.shift(),
      ok: [],
      failed: [],
      unprocessed: [],
    };
    this.jobs.set(j.id, j);
    sendJson(ctx, 200, this.info(j));
  }

  private upload(ctx: Ctx, j: IngestJob): void {
    if (this.state(j) !== "Open" || j.columns)
      throw invalidJobState("Job data can only be uploaded once, to a job in state Open");
    const csv = ctx.body.replace(/^\uFEFF/, "");
    if (csv.trim() === "") throw badRequest("INVALIDBATCH", "InvalidBatch : the CSV upload is empty");
    const schema = inferSchema(csv);
    j.columns = schema.cols.map((c) => c.name);
    j.rows = initParser(schema).stringArrs(csv);
    send(ctx, 201, "", "text/plain");
  }

  private patch(ctx: Ctx, j: IngestJob): void {
    const { state: want } = jsonBody<{ state?: string }>(ctx);
    const state = this.state(j);
    if (want === "UploadComplete") {
      if (state !== "Open")
        throw invalidJobState(`UploadComplete is only allowed for a job in state Open; this job is ${state}`);
      j.startedAt = this.now();
    } else if (want === "Aborted") {
      if (state === "JobComplete" || state === "Failed" || state === "Aborted")
        throw invalidJobState(`Aborting a job in state ${state} is not allowed`);
      j.final = "Aborted";
      j.unprocessed = j.rows;
    } else
      throw invalidJobState(`The state can be changed to UploadComplete or Aborted, not ${String(want)}`);
    j.modifiedAt = this.now();
    sendJson(ctx, 200, this.info(j));
  }

  private remove(ctx: Ctx, id: string): void {
    const state = this.state(this.job(id));
    if (state === "UploadComplete" || state === "InProgress")
      throw invalidJobState(`Deleting a job in state ${state} is not allowed`);
    this.jobs.delete(id);
    send(ctx, 204, "", "text/plain");
  }

  private results(ctx: Ctx, j: IngestJob, kind: string): void {
    const state = this.state(j);
    if (state !== "JobComplete" && state !== "Failed" && state !== "Aborted")
      throw invalidJobState(`Results are available once the job has finished; this job is ${state}`);
    const cols = j.columns ?? [];
    let lines: string[];
    if (kind === "successfulResults")
      lines = [
        csvLine(["sf__Id", "sf__Created", ...cols]),
        ...j.ok.map((r) => csvLine([r.id, String(r.created), ...r.row])),
      ];
    else if (kind === "failedResults")
      lines = [
        csvLine(["sf__Id", "sf__Error", ...cols]),
        ...j.failed.map((r) => csvLine([r.id, r.error, ...r.row])),
      ];
    else lines = [csvLine(cols), ...j.unprocessed.map((r) => csvLine(r))];
    send(ctx, 200, `${lines.join("\n")}\n`, "text/csv");
  }
}

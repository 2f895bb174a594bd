/**
 * Bulk API 2.0 query jobs: create, poll, abort, delete, list, and read results in CSV chunks.
 *
 * Docs: Bulk API 2.0 Developer Guide — "Create a Query Job" (POST /services/data/vXX.X/jobs/query
 * {operation: query | queryAll, query}; the answer shows state UploadComplete), "Get Information About
 * a Query Job" (GET …/jobs/query/{id}; jobType V2Query, numberRecordsProcessed, retries,
 * totalProcessingTime), "Get Results for a Query Job" (GET …/jobs/query/{id}/results?locator=…&
 * maxRecords=…; only in JobComplete; CSV with every field quoted, LF line ends; headers
 * Sforce-NumberOfRecords and Sforce-Locator — the string "null" when there are no more results; the
 * same API version as the job or 409), "Abort a Query Job" (PATCH {state: Aborted}), "Delete a Query
 * Job", "Get Information About All Query Jobs".
 */
import {
  invalidJobState,
  isFinal,
  type JobBase,
  type JobState,
  jobInfo,
  newJobId,
  timedState,
} from "./bulk-common.ts";
import { badRequest, notFound, SalesforceError } from "./errors.ts";
import { type Ctx, delay, jsonBody, type Route, send, sendJson } from "./http.ts";
import type { Knobs } from "./knobs.ts";
import type { Org } from "./org.ts";
import { runSoql } from "./soql-eval.ts";
import { csvLine, formatCsv } from "./values.ts";

interface QueryJob extends JobBase {
  query: string;
  header: string;
  lines: string[];
  queuedMs: number;
  totalMs: number;
  final?: JobState;
  fail?: string;
}

export class BulkQuery {
  private readonly jobs = new Map<string, QueryJob>();
  private failNext: string[] = [];

  constructor(
    private readonly org: Org,
    private readonly knobs: () => Knobs,
    private readonly now: () => number,
    private readonly userId: string,
  ) {}

  /** The next query job created ends Failed with this errorMessage. */
  failNextJob(message: string): void {
    this.failNext.push(message);
  }

  routes(): Route[] {
    const v = String.raw`^/services/data/v(\d+\.\d)/jobs/query`;
    return [
      { method: "POST", pattern: new RegExp(`${v}/?$`), handler: (ctx) => this.create(ctx) },
      { method: "GET", pattern: new RegExp(`${v}/?$`), handler: (ctx) => this.list(ctx) },
      {
        method: "GET",
        pattern: new RegExp(`${v}/(\\w{15,18})/?$`),
        handler: (ctx, m) => sendJson(ctx, 200, this.info(this.job(m[2]!))),
      },
      {
        method: "PATCH",
        pattern: new RegExp(`${v}/(\\w{15,18})/?$`),
        handler: (ctx, m) => this.abort(ctx, this.job(m[2]!)),
      },
      {
        method: "DELETE",
        pattern: new RegExp(`${v}/(\\w{15,18})/?$`),
        handler: (ctx, m) => this.remove(ctx, m[2]!),
      },
      {
        method: "GET",
        pattern: new RegExp(`${v}/(\\w{15,18})/results/?$`),
        handler: (ctx, m) => this.results(ctx, this.job(m[2]!)),
      },
    ];
  }

  private job(id: string): QueryJob {
    const j = this.jobs.get(id);
    if (!j) throw notFound(`no query job ${id}`);
    return j;
  }

  state(j: QueryJob): JobState {
    if (j.final) return j.final;
    const s = timedState(j.createdAt, j.queuedMs, j.totalMs, this.now());
    if (j.fail && s !== "UploadComplete") {
      j.final = "Failed";
      j.errorMessage = j.fail;
      j.modifiedAt = this.now();
      return "Failed";
    }
    if (s === "JobComplete") {
      j.final = s;
      j.modifiedAt = j.createdAt + j.totalMs;
    }
    return s;
  }

  private info(j: QueryJob): Record<string, unknown> {
    const state = this.state(j);
    return jobInfo(j, state, {
      jobType: "V2Query",
      numberRecordsProcessed: state === "JobComplete" ? j.lines.length : 0,
      retries: 0,
      totalProcessingTime: state === "JobComplete" ? j.totalMs : 0,
      isPkChunkingSupported: false,
    });
  }

  private create(ctx: Ctx): void {
    const body = jsonBody<{
      operation?: string;
      query?: string;
      contentType?: string;
      columnDelimiter?: string;
      lineEnding?: string;
    }>(ctx);
    if (body.operation !== "query" && body.operation !== "queryAll")
      throw badRequest(
        "INVALIDJOB",
        `InvalidJob : operation must be query or queryAll, not ${String(body.operation)}`,
      );
    if (typeof body.query !== "string" || body.query.trim() === "")
      throw badRequest("INVALIDJOB", "InvalidJob : query is required");
    if (
      (body.columnDelimiter && body.columnDelimiter !== "COMMA") ||
      (body.lineEnding && body.lineEnding !== "LF")
    )
      throw badRequest(
        "INVALIDJOB",
        "the fake Salesforce only implements columnDelimiter COMMA and lineEnding LF",
      );
    const result = runSoql(this.org, body.query, body.operation === "queryAll", this.now());
    if (result.count)
      throw badRequest(
        "API_ERROR",
        "Bulk API 2.0 query jobs do not support aggregate queries such as COUNT()",
      );
    const k = this.knobs();
    const now = this.now();
    const job: QueryJob = {
      id: newJobId(),
      object: result.object.name,
      operation: body.operation,
      createdAt: now,
      modifiedAt: now,
      apiVersion: ctx.version,
      userId: this.userId,
      query: body.query,
      header: csvLine(result.fields.map((f) => f.name)),
      // A snapshot at creation: the results are what the org held when the job was accepted.
      lines: result.rows.map((r) => csvLine(result.fields.map((f) => formatCsv(f, r[f.name] ?? null)))),
      queuedMs: k.queryJobQueuedMs,
      totalMs: k.queryJobMs,
      fail: this.failNext.shift(),
    };
    this.jobs.set(job.id, job);
    const {
      numberRecordsProcessed: _n,
      retries: _r,
      totalProcessingTime: _t,
      jobType: _j,
      ...created
    } = this.info(job);
    sendJson(ctx, 200, created);
  }

  private list(ctx: Ctx): void {
    sendJson(ctx, 200, {
      done: true,
      records: [...this.jobs.values()].map((j) => this.info(j)),
      nextRecordsUrl: null,
    });
  }

  private abort(ctx: Ctx, j: QueryJob): void {
    const body = jsonBody<{ state?: string }>(ctx);
    if (body.state !== "Aborted")
      throw invalidJobState(`A query job's state can only be changed to Aborted, not ${String(body.state)}`);
    const state = this.state(j);
    if (isFinal(state)) throw invalidJobState(`Aborting a job in state ${state} is not allowed`);
    j.final = "Aborted";
    j.modifiedAt = this.now();
    sendJson(ctx, 200, this.info(j));
  }

  private remove(ctx: Ctx, id: string): void {
    const j = this.job(id);
    const state = this.state(j);
    if (!isFinal(state))
      throw invalidJobState(`Deleting a job in state ${state} is not allowed; abort it first`);
    this.jobs.delete(id);
    send(ctx, 204, "", "text/plain");
  }

  private async results(ctx: Ctx, j: QueryJob): Promise<void> {
    if (ctx.version !== j.apiVersion)
      throw new SalesforceError(
        409,
        "API_VERSION_MISMATCH",
        `Use API version ${j.apiVersion}, the version the job was created with`,
      );
    const state = this.state(j);
    if (state !== "JobComplete")
      throw invalidJobState(
        `Results are only available for a job in state JobComplete; this job is ${state}`,
      );
    const locator = ctx.url.searchParams.get("locator");
    let offset = 0;
    if (locator !== null && locator !== "") {
      const decoded = /^\d+$/.test(Buffer.from(locator, "base64url").toString("utf8"))
        ? Number(Buffer.from(locator, "base64url").toString("utf8"))
        : NaN;
      if (!Number.isInteger(decoded) || decoded <= 0 || decoded >= j.lines.length)
        throw badRequest("INVALID_LOCATOR", `Invalid locator: ${locator}`);
      offset = decoded;
    }
    const maxRaw = ctx.url.searchParams.get("maxRecords");
    const max = maxRaw === null ? this.knobs().bulkDefaultMaxRecords : Number(maxRaw);
    if (!Number.isInteger(max) || max <= 0)
      throw badRequest("INVALID_MAX_RECORDS", `maxRecords must be a positive integer, not ${String(maxRaw)}`);
    await delay(this.knobs().chunkLatencyMs);
    const chunk = j.lines.slice(offset, offset + max);
    const end = offset + chunk.length;
    const next = end < j.lines.length ? Buffer.from(String(end)).toString("base64url") : "null";
    const csv = `${[j.header, ...chunk].join("\n")}\n`;
    send(ctx, 200, csv, "text/csv", {
      "sforce-locator": next,
      "sforce-numberofrecords": String(chunk.length),
    });
  }
}

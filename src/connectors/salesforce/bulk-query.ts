/**
 * Bulk API 2.0 query jobs (Bulk API 2.0 Developer Guide: "Create a Query Job", "Get Information About a
 * Query Job", "Get Results for a Query Job", "Abort a Query Job"): create the job, poll its state with
 * backoff until JobComplete (Failed / Aborted end the run with Salesforce's message), then read the
 * CSV results `maxRecords` at a time following `Sforce-Locator`. A results chunk is the batch: when
 * `stop` fires, the chunk in flight is read whole (its call has only the hard signal) and yielded, and
 * no other is requested; a job still running is aborted.
 */
import { ConnectorServerError } from "../../domain/errors.ts";
import { CsvRowParser } from "../../formats/csv-parse.ts";
import type { FieldValue, RecordBatch } from "../types.ts";
import { type PollPolicy, sleepFor } from "./sf-backoff.ts";
import type { SalesforceClient } from "./sf-http.ts";

export interface BulkJobInfo {
  id: string;
  state: string;
  errorMessage?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
}

export interface BulkQueryOptions {
  all: boolean;
  maxRecords: number;
  poll: PollPolicy;
  stop: AbortSignal;
  signal: AbortSignal;
  onJob?: (id: string) => void;
}

export async function* bulkQuery(
  client: SalesforceClient,
  soql: string,
  o: BulkQueryOptions,
): AsyncGenerator<RecordBatch> {
  const job = await client.json<BulkJobInfo>("POST", "/jobs/query", {
    json: { operation: o.all ? "queryAll" : "query", query: soql },
    signal: o.signal,
  });
  o.onJob?.(job.id);
  const done = await waitForJob(client, "query", job.id, o.poll, o.stop, o.signal);
  if (!done || o.stop.aborted) return; // canceled while the job ran (aborted if unfinished): nothing read
  let locator: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ maxRecords: String(o.maxRecords) });
    if (locator) q.set("locator", locator);
    const r = await client.call("GET", `/jobs/query/${job.id}/results?${q}`, {
      accept: "text/csv",
      signal: o.signal,
    });
    const text = await r.text();
    const next = r.headers.get("sforce-locator");
    locator = next && next !== "null" ? next : undefined;
    const batch = parseResults(text);
    if (batch.rows.length > 0) yield batch;
    if (!locator || o.stop.aborted) return;
  }
}

/**
 * Polls a Bulk job until it leaves UploadComplete / InProgress / Open. Resolves true at JobComplete;
 * false when `stop` fired first (the job is then aborted); throws on Failed / Aborted.
 */
export async function waitForJob(
  client: SalesforceClient,
  kind: "query" | "ingest",
  id: string,
  poll: PollPolicy,
  stop: AbortSignal | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  let delay = poll.initialMs;
  for (;;) {
    const info = await client.json<BulkJobInfo>("GET", `/jobs/${kind}/${id}`, { signal });
    if (info.state === "JobComplete") return true;
    if (info.state === "Failed" || info.state === "Aborted")
      throw new ConnectorServerError(
        `Salesforce Bulk API 2.0 ${kind} job ${id} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ""}`,
      );
    if (stop?.aborted) {
      await abortJob(client, kind, id, signal);
      return false;
    }
    const waker = stop ? AbortSignal.any([signal, stop]) : signal;
    await sleepFor(delay, waker).catch((e) => {
      if (signal.aborted) throw e; // a hard stop ends the wait; a soft one is handled above on the next turn
    });
    delay = Math.min(poll.maxMs, delay * 2);
  }
}

export async function abortJob(
  client: SalesforceClient,
  kind: "query" | "ingest",
  id: string,
  signal: AbortSignal,
): Promise<void> {
  await client.json("PATCH", `/jobs/${kind}/${id}`, { json: { state: "Aborted" }, signal });
}

/** A results chunk: header row, then rows; Bulk API 2.0 writes a null as an empty field. */
export function parseResults(text: string): RecordBatch {
  let fields: string[] | undefined;
  const rows: FieldValue[][] = [];
  const p = new CsvRowParser((row) => {
    if (!fields) fields = row;
    else rows.push(row.map((v) => (v === "" ? null : v)));
  });
  p.push(text);
  p.end();
  return { fields: fields ?? [], rows, bytes: Buffer.byteLength(text) };
}

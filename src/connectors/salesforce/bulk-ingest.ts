/**
 * One Bulk API 2.0 ingest job (Bulk API 2.0 Developer Guide: "Create a Job", "Upload Job Data", "Close
 * or Abort a Job", "Get Job Successful / Failed Record Results"): create, PUT the CSV, PATCH
 * UploadComplete, poll to JobComplete, read the failed results. UploadComplete is the commit: from then
 * on Salesforce processes the rows whatever we do, so it and everything after it take only the hard
 * signal (the job is left to finish and its results are counted). Before it, the upload takes the soft
 * signal, and a canceled job is aborted (state Aborted: nothing is written).
 */
import { csvLine } from "../../formats/csv-writer.ts";
import type { FieldValue } from "../types.ts";
import { abortJob, parseResults, waitForJob } from "./bulk-query.ts";
import type { PollPolicy } from "./sf-backoff.ts";
import type { SalesforceClient } from "./sf-http.ts";

export type SfOperation = "insert" | "update" | "upsert" | "delete";

export interface IngestSpec {
  object: string;
  operation: SfOperation;
  externalIdFieldName?: string;
}

export interface FailedRecord {
  error: string;
  /** The uploaded columns of the failed row. */
  fields: string[];
  values: FieldValue[];
}

export interface IngestOutcome {
  jobId: string;
  processed: number;
  failed: FailedRecord[];
  bytes: number;
}

export class IngestJob {
  id?: string;
  /** True once UploadComplete was accepted: the job can no longer be taken back. */
  committed = false;

  constructor(
    private readonly client: SalesforceClient,
    private readonly spec: IngestSpec,
    private readonly poll: PollPolicy,
  ) {}

  async run(
    fields: readonly string[],
    rows: readonly FieldValue[][],
    soft: AbortSignal,
    hard: AbortSignal,
  ): Promise<IngestOutcome> {
    const job = await this.client.json<{ id: string }>("POST", "/jobs/ingest", {
      json: {
        object: this.spec.object,
        operation: this.spec.operation,
        contentType: "CSV",
        lineEnding: "LF",
        ...(this.spec.externalIdFieldName ? { externalIdFieldName: this.spec.externalIdFieldName } : {}),
      },
      signal: soft,
    });
    this.id = job.id;
    const body = csvLine(fields) + rows.map((r) => csvLine(r)).join("");
    await this.client.call("PUT", `/jobs/ingest/${job.id}/batches`, {
      body,
      contentType: "text/csv",
      signal: soft,
    });
    soft.throwIfAborted();
    await this.client.json("PATCH", `/jobs/ingest/${job.id}`, {
      json: { state: "UploadComplete" },
      signal: hard,
    });
    this.committed = true;
    await waitForJob(this.client, "ingest", job.id, this.poll, undefined, hard);
    const info = await this.client.json<{ numberRecordsProcessed?: number; numberRecordsFailed?: number }>(
      "GET",
      `/jobs/ingest/${job.id}`,
      { signal: hard },
    );
    const failed: FailedRecord[] = [];
    if ((info.numberRecordsFailed ?? 0) > 0) {
      const r = await this.client.call("GET", `/jobs/ingest/${job.id}/failedResults`, {
        accept: "text/csv",
        signal: hard,
      });
      const res = parseResults(await r.text());
      const cols = res.fields.slice(2);
      for (const row of res.rows)
        failed.push({ error: String(row[1] ?? ""), fields: cols, values: row.slice(2) });
    }
    return {
      jobId: job.id,
      processed: info.numberRecordsProcessed ?? rows.length,
      failed,
      bytes: Buffer.byteLength(body),
    };
  }

  /** Aborts the job if it was created and not yet committed. Never throws. */
  async abort(signal: AbortSignal): Promise<void> {
    if (!this.id || this.committed) return;
    await abortJob(this.client, "ingest", this.id, signal).catch(() => {});
  }
}

/**
 * What Bulk API 2.0 query and ingest jobs share: ids, the time-driven state machine and the job-info
 * fields.
 *
 * Docs: Bulk API 2.0 Developer Guide — "Job States" (Open → UploadComplete → InProgress → JobComplete,
 * or Failed / Aborted), "Get Information About a Query Job" and "Get Information About an Ingest Job"
 * (id, operation, object, createdById, createdDate, systemModstamp, state, concurrencyMode, contentType,
 * apiVersion (a number), jobType, lineEnding, columnDelimiter, numberRecordsProcessed, retries,
 * totalProcessingTime, errorMessage). Bulk API 2.0 job errors are `[{errorCode, message}]` with codes
 * such as INVALIDJOBSTATE (the state change or call is not allowed in the job's current state).
 */
import { SalesforceError } from "./errors.ts";
import { makeId } from "./ids.ts";

export type JobState = "Open" | "UploadComplete" | "InProgress" | "JobComplete" | "Failed" | "Aborted";

let jobCounter = 0;
export const newJobId = (): string => makeId("750", ++jobCounter);

/** The state a job is in at `now`, given when processing started and the configured durations. */
export function timedState(startedAt: number, queuedMs: number, totalMs: number, now: number): JobState {
  const elapsed = now - startedAt;
  if (elapsed < queuedMs) return "UploadComplete";
  if (elapsed < Math.max(totalMs, queuedMs)) return "InProgress";
  return "JobComplete";
}

export const isFinal = (s: JobState): boolean => s === "JobComplete" || s === "Failed" || s === "Aborted";

export function invalidJobState(message: string): SalesforceError {
  return new SalesforceError(400, "INVALIDJOBSTATE", message);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
export function sfDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(
    d.getUTCSeconds(),
  )}.${pad(d.getUTCMilliseconds(), 3)}+0000`;
}

export interface JobBase {
  id: string;
  object: string;
  operation: string;
  createdAt: number;
  modifiedAt: number;
  apiVersion: string;
  userId: string;
  errorMessage?: string;
}

export function jobInfo(
  j: JobBase,
  state: JobState,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: j.id,
    operation: j.operation,
    object: j.object,
    createdById: j.userId,
    createdDate: sfDate(j.createdAt),
    systemModstamp: sfDate(j.modifiedAt),
    state,
    concurrencyMode: "Parallel",
    contentType: "CSV",
    apiVersion: Number(j.apiVersion),
    lineEnding: "LF",
    columnDelimiter: "COMMA",
    ...(state === "Failed" && j.errorMessage ? { errorMessage: j.errorMessage } : {}),
    ...extra,
  };
}

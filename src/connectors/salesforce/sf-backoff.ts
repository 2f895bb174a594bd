/** Bounded exponential backoff for Salesforce calls and job polling; the wait ends when the signal aborts. */
export interface RetryPolicy {
  /** Attempts in all, the first included (≥ 1). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SF_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 };

/** Job polling: starts fast (small jobs finish in well under a second), backs off to a few seconds. */
export interface PollPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_POLL: PollPolicy = { initialMs: 50, maxMs: 5_000 };

// The SDK's abortable wait; re-exported so the Salesforce modules keep one import.
export { sleepFor } from "../sdk/failures.ts";

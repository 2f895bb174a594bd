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

export function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Errors classified once, for every connector (each maps its own errors into these):
 * - record failures: the destination refused these records (bad data). They count in putFailures and
 *   go to the error bucket when one is configured; the run goes on (unless failOnFirstDestinationError).
 * - retryable transport failures: the connection or the server failed and the batch was rolled back,
 *   so sending it again is exactly-once. Retried with bounded backoff (retryBatch), then the run ends
 *   Error with what happened.
 * - authentication failures: ConnectorAuthenticationError (domain/errors.ts).
 * - connector server errors: ConnectorServerError; the run ends Error with the message.
 * Messages are built from structured fields (a code, the server's message), never by masking text,
 * and never carry a secret.
 */
import { ConnectorServerError } from "../../domain/errors.ts";
import type { Logger } from "../../logger.ts";

/** The destination rejected a batch's records as data (not a failure of the connection). */
export class RecordsRejectedError extends ConnectorServerError {
  override name = "RecordsRejected";
}

/** A batch failed in transport and was rolled back: safe to send again. */
export class RetryableBatchError extends ConnectorServerError {
  override name = "RetryableBatchError";
}

export interface RetryPolicy {
  /** Attempts in all, the first included (≥ 1). */
  attempts: number;
  /** Backoff before the 2nd attempt; doubled each time, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Runs `attempt` until it succeeds or fails with something other than RetryableBatchError; after the
 * last attempt, ends with a ConnectorServerError saying how many attempts failed and why.
 * `signal` (the hard signal) ends the wait between attempts.
 */
export async function retryBatch<T>(
  what: string,
  policy: RetryPolicy,
  signal: AbortSignal,
  log: Pick<Logger, "warn">,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof RetryableBatchError)) throw e;
      if (n >= policy.attempts) {
        throw new ConnectorServerError(
          `${what} failed ${n} time${n === 1 ? "" : "s"} and was not written: ${e.message}`,
        );
      }
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      log.warn({ attempt: n, delayMs: delay, reason: e.message }, `${what} failed; retrying`);
      await sleepFor(delay, signal);
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (connectors' backoff waits). */
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

/**
 * Retries a store write through a database outage for as long as what entitles the caller to make it
 * (a run's lease, an outbox claim) can still be valid: a worker keeps its run across a PostgreSQL
 * restart, and past its lease gives it up to the reaper instead of writing on. Only outages are
 * retried (see isStoreUnavailable).
 */
import { isStoreUnavailable } from "../store/store-errors.ts";

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;

export async function retryWhileLeased<T>(
  fn: () => Promise<T>,
  leaseUntil: () => number,
  now: () => number,
  signal?: AbortSignal,
): Promise<T> {
  let delay = FIRST_DELAY_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const wait = Math.min(delay, leaseUntil() - now());
      if (!isStoreUnavailable(err) || wait <= 0 || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}

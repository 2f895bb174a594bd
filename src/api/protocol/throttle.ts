/**
 * Request throttling: one token bucket per (account, operation), refilled continuously.
 *
 * Defaults (our choice; AWS does not publish AppFlow's per-operation API rates):
 *   - reads (Describe*, List*):            50 requests/s, burst 100
 *   - everything else (writes, StartFlow): 20 requests/s, burst 40
 * Any operation can be overridden (e.g. `{ StartFlow: { rate: 5, burst: 10 } }`), and `readRate`/`writeRate`
 * replace the two defaults. A bucket that has refilled to its burst is identical to a fresh one, so idle
 * buckets are dropped without changing behaviour; memory is capped at `maxBuckets` (the least recently used
 * bucket is dropped first when none is idle — at worst that client gets a fresh burst).
 * The clock is injected (`now`, milliseconds) so tests never sleep.
 */
import { ThrottlingError } from "../../domain/errors.ts";

export interface RateLimit {
  /** Tokens added per second (sustained requests per second). */
  rate: number;
  /** Bucket size (requests allowed at once after an idle period). */
  burst: number;
}

export interface ThrottleConfig {
  readRate: RateLimit;
  writeRate: RateLimit;
  /** Per-operation limits, by AppFlow operation name; they win over the read/write defaults. */
  overrides: Partial<Record<string, RateLimit>>;
  /** Upper bound on buckets kept in memory. */
  maxBuckets: number;
}

export const DEFAULT_THROTTLE_CONFIG: ThrottleConfig = {
  readRate: { rate: 50, burst: 100 },
  writeRate: { rate: 20, burst: 40 },
  overrides: {},
  maxBuckets: 10_000,
};

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  updatedAt: number;
  limit: RateLimit;
}

function validLimit(limit: RateLimit, what: string): RateLimit {
  if (
    !(limit.rate > 0) ||
    !(limit.burst >= 1) ||
    !Number.isFinite(limit.rate) ||
    !Number.isFinite(limit.burst)
  ) {
    throw new Error(`Invalid throttle limit for ${what}: rate must be > 0 and burst >= 1`);
  }
  return limit;
}

export function isReadOperation(operation: string): boolean {
  return operation.startsWith("Describe") || operation.startsWith("List");
}

export class Throttle {
  private readonly config: ThrottleConfig;
  private readonly now: () => number;
  /** Insertion order doubles as least-recently-used order: every take re-inserts its bucket. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(config: Partial<ThrottleConfig> = {}, now: () => number = Date.now) {
    this.config = { ...DEFAULT_THROTTLE_CONFIG, ...config };
    validLimit(this.config.readRate, "reads");
    validLimit(this.config.writeRate, "writes");
    for (const [op, limit] of Object.entries(this.config.overrides)) if (limit) validLimit(limit, op);
    if (!(this.config.maxBuckets >= 1)) throw new Error("Invalid throttle maxBuckets: must be >= 1");
    this.now = now;
  }

  limitFor(operation: string): RateLimit {
    return (
      this.config.overrides[operation] ??
      (isReadOperation(operation) ? this.config.readRate : this.config.writeRate)
    );
  }

  /** Takes one token for the caller; false when the bucket is empty (the request should be throttled). */
  take(accountId: string, operation: string): boolean {
    const now = this.now();
    const key = `${accountId}\u0000${operation}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      const limit = this.limitFor(operation);
      bucket = { tokens: limit.burst, updatedAt: now, limit };
      this.makeRoom(now);
    } else {
      this.buckets.delete(key);
      refill(bucket, now);
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Like take(), but throws ThrottlingError (429 ThrottlingException) when the caller is over its rate. */
  check(accountId: string, operation: string): void {
    if (!this.take(accountId, operation)) throw new ThrottlingError("Rate exceeded");
  }

  /** Number of buckets held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.config.maxBuckets) return;
    for (const [key, bucket] of this.buckets) {
      refill(bucket, now);
      if (bucket.tokens >= bucket.limit.burst) this.buckets.delete(key);
    }
    // Too few idle: drop least recently used buckets down to 90% so the sweep above is not repeated on
    // every new key (keeps insertion amortized O(1)).
    const target = Math.floor(this.config.maxBuckets * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

function refill(bucket: Bucket, now: number): void {
  // A clock that steps backwards (tests, NTP) must not drain or overfill the bucket.
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.tokens = Math.min(bucket.limit.burst, bucket.tokens + (elapsed * bucket.limit.rate) / 1000);
  bucket.updatedAt = Math.max(bucket.updatedAt, now);
}

/**
 * The fake's knobs (all changeable at run time through `configure` or POST /__fake/configure), injected
 * faults and the call log.
 *
 * Fault shapes follow the REST API Developer Guide, "Status Codes and Error Responses": 503 with
 * SERVER_UNAVAILABLE, 500 UNKNOWN_EXCEPTION, 403 REQUEST_LIMIT_EXCEEDED; "API Request Limits and
 * Allocations" (Salesforce Developer Limits Quick Reference) for the rolling 24-hour request counter the
 * Sforce-Limit-Info header reports (REST API Developer Guide, "Limit Info Header": `api-usage=18/5000`).
 */
import { requestLimitExceeded, SalesforceError, serverUnavailable, unknownException } from "./errors.ts";
import type { SeedCounts } from "./seed.ts";

export interface Knobs {
  /** API version the fake reports as its newest (vNN.N paths up to this one are served). */
  apiVersion: string;
  /** Added before every answer (not the control endpoint). */
  latencyMs: number;
  /** Added before every Bulk API 2.0 query results chunk. */
  chunkLatencyMs: number;
  /** A query job stays UploadComplete this long, then InProgress until queryJobMs has passed. */
  queryJobQueuedMs: number;
  queryJobMs: number;
  ingestJobQueuedMs: number;
  ingestJobMs: number;
  /** Bulk query results per chunk when the client sends no maxRecords. */
  bulkDefaultMaxRecords: number;
  /** REST query batch size when no Sforce-Query-Options: batchSize is sent (Salesforce: 2000). */
  restDefaultBatchSize: number;
  accessTokenTtlMs: number;
  dailyApiLimit: number;
  /** How long /meta/connect is held open waiting for events (Salesforce: 110 s). */
  cometdTimeoutMs: number;
  /** At most this many events in one /meta/connect answer (0: every queued event), the rest in the next. */
  cometdMaxEventsPerConnect: number;
  /** Change events kept for replay (Salesforce keeps 72 hours). */
  eventRetentionMs: number;
  eventRetentionCount: number;
  /**
   * Added to what SELECT COUNT() answers (REST only), so a test can make the org look big enough for a
   * connector's REST-or-Bulk choice (AppFlow: Bulk API 2.0 at 1,000,000 records) without holding a
   * million records. 0 = the true count.
   */
  countOffset: number;
}

export const DEFAULT_KNOBS: Knobs = {
  apiVersion: "62.0",
  latencyMs: 0,
  chunkLatencyMs: 0,
  queryJobQueuedMs: 50,
  queryJobMs: 200,
  ingestJobQueuedMs: 50,
  ingestJobMs: 200,
  bulkDefaultMaxRecords: 50_000,
  restDefaultBatchSize: 2000,
  accessTokenTtlMs: 2 * 3600_000,
  dailyApiLimit: 100_000,
  cometdTimeoutMs: 110_000,
  cometdMaxEventsPerConnect: 0,
  eventRetentionMs: 72 * 3600_000,
  eventRetentionCount: 100_000,
  countOffset: 0,
};

export interface FakeOptions extends Partial<Knobs> {
  port?: number;
  host?: string;
  /** Records seeded per object (a number for each of Account/Contact/Opportunity, or per object). */
  records?: SeedCounts;
  seed?: number;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  /** Milliseconds since the epoch; inject a manual clock to drive job durations from a test. */
  now?: () => number;
}

export interface FaultRule {
  method?: string;
  /** Substring of the request path (e.g. "/jobs/query", "/query"). */
  path?: string;
  /** How many matching calls fail (default 1). */
  times?: number;
  status: number;
  errorCode: string;
  message: string;
}

export type FaultPreset = "SERVER_UNAVAILABLE" | "UNKNOWN_EXCEPTION" | "REQUEST_LIMIT_EXCEEDED";

export function presetFault(kind: FaultPreset, match: Partial<FaultRule> = {}): FaultRule {
  const e =
    kind === "SERVER_UNAVAILABLE"
      ? serverUnavailable()
      : kind === "UNKNOWN_EXCEPTION"
        ? unknownException()
        : requestLimitExceeded();
  return { status: e.status, errorCode: e.errorCode, message: e.message, ...match };
}

export class Faults {
  private rules: (FaultRule & { left: number })[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The error the next call to method+path must answer, if a rule matches (and uses one of its times). */
  take(method: string, path: string): SalesforceError | undefined {
    const r = this.rules.find(
      (x) => x.left > 0 && (!x.method || x.method === method) && (!x.path || path.includes(x.path)),
    );
    if (!r) return undefined;
    r.left -= 1;
    this.rules = this.rules.filter((x) => x.left > 0);
    return new SalesforceError(r.status, r.errorCode, r.message);
  }
}

export interface CallRecord {
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
  /** For the token endpoint: the grant_type asked for. */
  grantType?: string;
}

/** The rolling API request counter behind Sforce-Limit-Info. */
export class ApiUsage {
  used = 0;
  constructor(private readonly limit: () => number) {}

  /** A new day: the rolling counter starts again. */
  reset(): void {
    this.used = 0;
  }

  header(): string {
    return `api-usage=${this.used}/${this.limit()}`;
  }

  /** Counts one call; REQUEST_LIMIT_EXCEEDED once the allocation is used up. */
  count(): SalesforceError | undefined {
    if (this.used >= this.limit()) return requestLimitExceeded();
    this.used += 1;
    return undefined;
  }
}

export interface Gate {
  /** Resolves when a matching call has arrived and is being held. */
  arrived: Promise<void>;
  /** Lets the held call (and the gate) go. */
  release(): void;
}

/** Holds the next call matching method + path substring until released: deterministic "mid-call" tests. */
export class Gates {
  private gates: { method?: string; path: string; arrive: () => void; wait: Promise<void> }[] = [];

  add(path: string, method?: string): Gate {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => {
      arrive = r;
    });
    const wait = new Promise<void>((r) => {
      release = r;
    });
    this.gates.push({ method, path, arrive, wait });
    return { arrived, release };
  }

  /** Waits at the first matching gate (consuming it); resolves at once when none matches. */
  async pass(method: string, path: string): Promise<void> {
    const i = this.gates.findIndex((g) => (!g.method || g.method === method) && path.includes(g.path));
    if (i < 0) return;
    const [g] = this.gates.splice(i, 1);
    g!.arrive();
    await g!.wait;
  }
}

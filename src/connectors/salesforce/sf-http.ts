/**
 * The one HTTP client every Salesforce call goes through: `<instanceUrl>/services/data/vNN.N/…` with
 * `Authorization: Bearer`, the caller's AbortSignal on every fetch, and Salesforce's documented failure
 * handling (REST API Developer Guide, "Status Codes and Error Responses", "Limit Info Header"):
 * - 401 INVALID_SESSION_ID: the token is refreshed once (sf-auth.ts) and the call sent again;
 * - 403 REQUEST_LIMIT_EXCEEDED: the org's daily API allocation is used up; the run ends, saying so;
 * - 503 SERVER_UNAVAILABLE and other 5xx / connection failures: retried with backoff. Only calls that are
 *   safe to repeat are retried on an ambiguous failure (GET, PUT, DELETE, PATCH of a job's state); a
 *   POST is retried on 503 only, which Salesforce answers before doing anything;
 * - `Sforce-Limit-Info: api-usage=used/limit` is passed to `onLimitInfo` after every answer.
 */
import { ConnectorAuthenticationError, ConnectorServerError } from "../../domain/errors.ts";
import { type RetryPolicy, sleepFor } from "./sf-backoff.ts";

export interface SalesforceAuth {
  /** The access token to send now (gets one first when the profile has none yet). */
  accessToken(signal: AbortSignal): Promise<string>;
  /** Gets a new access token after `rejected` was refused (single-flight; may return a newer one another call got). */
  refresh(rejected: string, signal: AbortSignal): Promise<string>;
}

export interface LimitInfo {
  used: number;
  limit: number;
}

export interface SalesforceClientOptions {
  instanceUrl: string;
  /** e.g. "62.0" */
  apiVersion: string;
  auth: SalesforceAuth;
  retry: RetryPolicy;
  onLimitInfo?: (info: LimitInfo) => void;
  onRetry?: (what: string, attempt: number, delayMs: number, reason: string) => void;
}

export interface CallOptions {
  body?: string;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal: AbortSignal;
}

/** A Salesforce answer that is not 2xx, with its first errorCode and message. */
export class SalesforceApiError extends ConnectorServerError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly sfMessage: string,
    what: string,
  ) {
    super(`Salesforce answered ${what} with ${status} ${errorCode}: ${sfMessage}`);
  }
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "PATCH"]);

export class SalesforceClient {
  readonly base: string;
  lastLimit?: LimitInfo;

  constructor(readonly opts: SalesforceClientOptions) {
    this.base = `${opts.instanceUrl.replace(/\/+$/, "")}/services/data/v${opts.apiVersion}`;
  }

  /** `path` is relative to /services/data/vNN.N (e.g. "/query?q=…"), or absolute from /services/… . */
  url(path: string): string {
    if (path.startsWith("/services/")) return `${this.opts.instanceUrl.replace(/\/+$/, "")}${path}`;
    return `${this.base}${path}`;
  }

  async json<T>(method: string, path: string, o: CallOptions & { json?: unknown }): Promise<T> {
    const r = await this.call(method, path, {
      ...o,
      ...(o.json === undefined ? {} : { body: JSON.stringify(o.json), contentType: "application/json" }),
      accept: "application/json",
    });
    const text = await r.text();
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** Sends the call; resolves with a 2xx Response (body unread) or throws a classified error. */
  async call(method: string, path: string, o: CallOptions): Promise<Response> {
    const what = `${method} ${path.split("?")[0]}`;
    const { attempts, baseDelayMs, maxDelayMs } = this.opts.retry;
    let refreshed = false;
    for (let n = 1; ; n++) {
      const token = await this.opts.auth.accessToken(o.signal);
      let r: Response;
      try {
        r = await fetch(this.url(path), {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(o.accept ? { accept: o.accept } : {}),
            ...(o.contentType ? { "content-type": o.contentType } : {}),
            ...o.headers,
          },
          body: o.body,
          signal: o.signal,
        });
      } catch (e) {
        if (o.signal.aborted) throw o.signal.reason;
        const reason = `could not reach Salesforce at ${this.opts.instanceUrl} (${causeOf(e)})`;
        if (!IDEMPOTENT.has(method) || n >= attempts) throw new ConnectorServerError(reason);
        await this.backoff(what, n, baseDelayMs, maxDelayMs, reason, o.signal);
        continue;
      }
      this.readLimit(r);
      if (r.ok) return r;
      const { errorCode, message } = await errorOf(r);
      if (r.status === 401 && !refreshed) {
        refreshed = true;
        await this.opts.auth.refresh(token, o.signal);
        n--; // the refresh retry is not a transport retry
        continue;
      }
      if (r.status === 401)
        throw new ConnectorAuthenticationError(
          `Salesforce refused the refreshed access token (${errorCode}: ${message}); re-authorize the connector profile`,
        );
      if (errorCode === "REQUEST_LIMIT_EXCEEDED") {
        const usage = this.lastLimit ? ` (api-usage ${this.lastLimit.used}/${this.lastLimit.limit})` : "";
        throw new SalesforceApiError(
          r.status,
          errorCode,
          `${message} The org's API request limit is used up${usage}; the run stopped. Retry after the limit resets.`,
          what,
        );
      }
      const retryable = r.status === 503 || (r.status >= 500 && IDEMPOTENT.has(method));
      if (!retryable || n >= attempts) {
        if (retryable)
          throw new SalesforceApiError(r.status, errorCode, `${message} (after ${n} attempts)`, what);
        throw new SalesforceApiError(r.status, errorCode, message, what);
      }
      await this.backoff(what, n, baseDelayMs, maxDelayMs, `${r.status} ${errorCode}`, o.signal);
    }
  }

  private async backoff(
    what: string,
    n: number,
    base: number,
    max: number,
    reason: string,
    signal: AbortSignal,
  ): Promise<void> {
    const delay = Math.min(max, base * 2 ** (n - 1));
    this.opts.onRetry?.(what, n, delay, reason);
    await sleepFor(delay, signal);
  }

  private readLimit(r: Response): void {
    const info = parseLimitInfo(r.headers.get("sforce-limit-info"));
    if (!info) return;
    this.lastLimit = info;
    this.opts.onLimitInfo?.(info);
  }
}

/** Parses `Sforce-Limit-Info` (exported for the tests and the metric). */
export function parseLimitInfo(header: string | null): LimitInfo | undefined {
  const m = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
  return m ? { used: Number(m[1]), limit: Number(m[2]) } : undefined;
}

/** The first `{errorCode, message}` of Salesforce's error array (or an OAuth/odd body, summarised). */
async function errorOf(r: Response): Promise<{ errorCode: string; message: string }> {
  const text = await r.text().catch(() => "");
  try {
    const body = JSON.parse(text) as unknown;
    const first = Array.isArray(body) ? body[0] : body;
    if (first && typeof first === "object") {
      const e = first as Record<string, unknown>;
      const code = e.errorCode ?? e.error;
      const message = e.message ?? e.error_description;
      if (typeof code === "string") return { errorCode: code, message: String(message ?? "") };
    }
  } catch {
    // not JSON: fall through
  }
  return { errorCode: `HTTP_${r.status}`, message: text.slice(0, 200) || r.statusText };
}

function causeOf(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (e instanceof Error ? e.message : String(e));
}

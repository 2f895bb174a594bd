/**
 * The fake Salesforce: one HTTP server with the OAuth token endpoint, REST (query, describe, sObject
 * Collections), Bulk API 2.0 query and ingest jobs, the Streaming API (CometD) for Change Data Capture
 * and a control endpoint (/__fake/…) — plus the programmatic API tests use.
 *
 * Docs for the shared behaviour: REST API Developer Guide — "Versions" (GET /services/data lists
 * {label, url, version}), "Limit Info Header" (every /services/data answer carries
 * `Sforce-Limit-Info: api-usage=n/limit`), "Status Codes and Error Responses" (401 INVALID_SESSION_ID
 * `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`, 403
 * REQUEST_LIMIT_EXCEEDED, 503 SERVER_UNAVAILABLE). Each module cites the pages for its own endpoints.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BulkIngest } from "./bulk-ingest.ts";
import { BulkQuery } from "./bulk-query.ts";
import { collectionRoutes } from "./collections.ts";
import { CometD } from "./cometd.ts";
import { controlRoutes } from "./control.ts";
import { notImplemented, sessionExpired } from "./errors.ts";
import { EventBus } from "./events.ts";
import { type Ctx, delay, dispatch, type Route, readBody, sendError, sendJson } from "./http.ts";
import {
  ApiUsage,
  type CallRecord,
  DEFAULT_KNOBS,
  type FakeOptions,
  type FaultPreset,
  type FaultRule,
  Faults,
  type Gate,
  Gates,
  type Knobs,
  presetFault,
} from "./knobs.ts";
import { OAuthServer } from "./oauth.ts";
import { Org, type Row, type ValidationRule } from "./org.ts";
import { RestApi, toJson } from "./rest.ts";
import { seedOrg } from "./seed.ts";

export const ORG_ID = "00DgK0000000001";
export const USER_ID = "005gK0000000001AAA";

export interface FakeSalesforce {
  readonly instanceUrl: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly username: string;
  /** A refresh token issued at start (as if the user had authorized the connected app). */
  readonly refreshToken: string;
  readonly org: Org;
  readonly knobs: Knobs;
  configure(k: Partial<Knobs>): void;
  issueAccessToken(): string;
  issueRefreshToken(): string;
  expireAccessTokens(token?: string): number;
  revokeRefreshToken(token?: string): number;
  signJwt(claims: Record<string, unknown>): string;
  readonly jwtPrivateKeyPem: string;
  insert(object: string, fields: Record<string, unknown>): string;
  update(object: string, id: string, fields: Record<string, unknown>): void;
  delete(object: string, id: string): void;
  undelete(object: string, id: string): void;
  /** Copies of the records as the REST API shows them (all fields), deleted ones when asked. */
  records(object: string, opts?: { includeDeleted?: boolean }): Record<string, unknown>[];
  addValidationRule(rule: ValidationRule): void;
  injectFault(rule: FaultRule | FaultPreset, match?: Partial<FaultRule>): void;
  clearFaults(): void;
  /** Holds the next call whose path contains `path` (after auth, before it is answered) until released. */
  hold(path: string, method?: string): Gate;
  failNextQueryJob(message: string): void;
  failNextIngestJob(message: string): void;
  /** Drops all but the newest `keepLast` change events from retention. */
  expireEvents(keepLast: number): void;
  latestReplayId(): number;
  /** Change events handed to Streaming API clients so far (in /meta/connect answers). */
  cometdEventsSent(): number;
  calls(): CallRecord[];
  clearCalls(): void;
  apiUsage(): number;
  resetApiUsage(): void;
  stop(): Promise<void>;
}

export async function startFakeSalesforce(opts: FakeOptions = {}): Promise<FakeSalesforce> {
  const knobs: Knobs = { ...DEFAULT_KNOBS };
  for (const k of Object.keys(DEFAULT_KNOBS) as (keyof Knobs)[])
    if (opts[k] !== undefined) (knobs as unknown as Record<string, unknown>)[k] = opts[k];
  const now = opts.now ?? Date.now;
  const clientId = opts.clientId ?? "3MVG9fakeSluiceConsumerKey";
  const clientSecret = opts.clientSecret ?? "fake-consumer-secret-0123456789";
  const username = opts.username ?? "integration@sluice.example";
  let instanceUrl = "";
  const org = new Org(now);
  seedOrg(org, opts.records ?? 0, opts.seed);
  const oauth = new OAuthServer({
    clientId,
    clientSecret,
    username,
    orgId: ORG_ID,
    userId: USER_ID,
    instanceUrl: () => instanceUrl,
    now,
    ttlMs: () => knobs.accessTokenTtlMs,
  });
  const bus = new EventBus(
    org,
    USER_ID,
    () => knobs.apiVersion,
    () => ({ ms: knobs.eventRetentionMs, count: knobs.eventRetentionCount }),
  );
  const cometd = new CometD(
    bus,
    () => knobs.cometdTimeoutMs,
    () => knobs.cometdMaxEventsPerConnect,
  );
  const rest = new RestApi(
    org,
    () => knobs.restDefaultBatchSize,
    now,
    () => knobs.countOffset,
  );
  const bulkQuery = new BulkQuery(org, () => knobs, now, USER_ID);
  const bulkIngest = new BulkIngest(org, () => knobs, now, USER_ID);
  const faults = new Faults();
  const gates = new Gates();
  const usage = new ApiUsage(() => knobs.dailyApiLimit);
  let log: CallRecord[] = [];
  const dataRoutes: Route[] = [
    ...rest.routes(),
    ...collectionRoutes(org),
    ...bulkQuery.routes(),
    ...bulkIngest.routes(),
  ];
  const maxVersion = (): number => Number(knobs.apiVersion);

  const write = (
    op: "update" | "delete" | "undelete",
    object: string,
    id: string,
    fields: Record<string, unknown> = {},
  ): string => {
    const p = org.prepare(op, object, { ...fields, Id: id }, "json");
    return org.commit([p], "rest")[0]!;
  };

  const fake: FakeSalesforce = {
    get instanceUrl() {
      return instanceUrl;
    },
    port: 0,
    clientId,
    clientSecret,
    username,
    refreshToken: oauth.issueRefreshToken(),
    org,
    knobs,
    configure: (k) => Object.assign(knobs, k),
    issueAccessToken: () => oauth.issueAccessToken(),
    issueRefreshToken: () => oauth.issueRefreshToken(),
    expireAccessTokens: (t) => oauth.expireAccessTokens(t),
    revokeRefreshToken: (t) => oauth.revokeRefreshToken(t),
    signJwt: (c) => oauth.signJwt(c),
    get jwtPrivateKeyPem() {
      return oauth.jwtKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    },
    insert: (object, fields) => org.commit([org.prepare("insert", object, fields, "json")], "rest")[0]!,
    update: (object, id, fields) => void write("update", object, id, fields),
    delete: (object, id) => void write("delete", object, id),
    undelete: (object, id) => void write("undelete", object, id),
    records(object, o = {}) {
      bulkIngest.tick();
      const def = org.requireObject(object);
      return org
        .list(def.name, o.includeDeleted ?? false)
        .map((r: Row) => toJson(r, def.name, def.fields, `/services/data/v${knobs.apiVersion}`));
    },
    addValidationRule: (rule) => void org.rules.push(rule),
    injectFault: (rule, match) => faults.add(typeof rule === "string" ? presetFault(rule, match) : rule),
    clearFaults: () => faults.clear(),
    hold: (path, method) => gates.add(path, method),
    failNextQueryJob: (m) => bulkQuery.failNextJob(m),
    failNextIngestJob: (m) => bulkIngest.failNextJob(m),
    expireEvents: (keepLast) => bus.trim(now(), keepLast),
    latestReplayId: () => bus.latestReplayId(),
    cometdEventsSent: () => cometd.sent,
    calls: () => [...log],
    clearCalls: () => {
      log = [];
    },
    apiUsage: () => usage.used,
    resetApiUsage: () => usage.reset(),
    stop: async () => {
      clearInterval(ticker);
      cometd.closeAll();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections(); // idle keep-alive sockets would hold close() open for seconds
      await closed;
    },
  };
  const control = controlRoutes(fake);

  async function handle(ctx: Ctx): Promise<void> {
    if (ctx.path.startsWith("/__fake/")) {
      if (!(await dispatch(control, ctx))) throw notImplemented(ctx.method, ctx.path);
      return;
    }
    await delay(knobs.latencyMs);
    await gates.pass(ctx.method, ctx.path);
    bulkIngest.tick();
    const fault = faults.take(ctx.method, ctx.path);
    if (fault) throw fault;
    if (ctx.path.startsWith("/services/oauth2/")) return oauthCall(ctx);
    if (ctx.method === "GET" && /^\/services\/data\/?$/.test(ctx.path)) return versions(ctx);
    const cometdPath = /^\/cometd\/(\d+\.\d)\/?$/.exec(ctx.path);
    if (cometdPath && ctx.method === "POST")
      return cometd.handle(ctx, oauth.valid(ctx.req.headers.authorization));
    const v = /^\/services\/data\/v(\d+\.\d)(?:\/|$)/.exec(ctx.path);
    if (!v || Number(v[1]) > maxVersion() || Number(v[1]) < 31) throw notImplemented(ctx.method, ctx.path);
    ctx.version = v[1]!;
    if (!oauth.valid(ctx.req.headers.authorization)) throw sessionExpired();
    const over = usage.count();
    ctx.headers["sforce-limit-info"] = usage.header();
    if (over) throw over;
    if (!(await dispatch(dataRoutes, ctx))) throw notImplemented(ctx.method, ctx.path);
  }

  function versions(ctx: Ctx): void {
    const out = [];
    for (let n = 31; n <= maxVersion(); n++)
      out.push({ label: `v${n}.0`, url: `/services/data/v${n}.0`, version: `${n}.0` });
    sendJson(ctx, 200, out);
  }

  function oauthCall(ctx: Ctx) {
    const form = new URLSearchParams(ctx.body);
    if (ctx.method === "POST" && ctx.path === "/services/oauth2/token") {
      const grant = form.get("grant_type") ?? undefined;
      const answer = oauth.token(form, ctx.req.headers.authorization);
      log[log.length] = {
        at: now(),
        method: ctx.method,
        path: ctx.path,
        query: "",
        status: answer.status,
        grantType: grant,
      };
      ctx.status = -1; // logged here, with the grant type
      ctx.res.writeHead(answer.status, { "content-type": "application/json;charset=UTF-8" });
      ctx.res.end(JSON.stringify(answer.body));
      return;
    }
    if (ctx.method === "POST" && ctx.path === "/services/oauth2/revoke") {
      const ok = oauth.revoke(form.get("token") ?? ctx.url.searchParams.get("token") ?? "");
      return ok
        ? sendJson(ctx, 200, {})
        : sendJson(ctx, 400, {
            error: "unsupported_token_type",
            error_description: "this token type is not supported",
          });
    }
    throw notImplemented(ctx.method, ctx.path);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const ctx: Ctx = {
        req,
        res,
        method: req.method ?? "GET",
        path: url.pathname,
        url,
        body: "",
        version: "",
        headers: {},
      };
      try {
        ctx.body = await readBody(req);
        await handle(ctx);
      } catch (e) {
        if (!res.headersSent) sendError(ctx, e);
        else res.destroy();
      }
      if (ctx.status !== -1 && !ctx.path.startsWith("/__fake/"))
        log.push({
          at: now(),
          method: ctx.method,
          path: ctx.path,
          query: url.search,
          status: ctx.status ?? res.statusCode,
        });
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  instanceUrl = `http://${opts.host ?? "127.0.0.1"}:${addr.port}`;
  (fake as { port: number }).port = addr.port;
  // Ingest jobs finish on the clock even when nobody polls (so records and change events appear).
  const ticker = setInterval(() => bulkIngest.tick(), 50);
  ticker.unref();
  return fake;
}

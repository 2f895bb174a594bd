/**
 * One pipeline per request: route → read body → authenticate (SigV4) → throttle → parse → validate
 * → authorize → handler → serialize. Every failure is turned into an AppFlow error at one place.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { App, Caller } from "../../app.ts";
import { ThrottlingError, ValidationError } from "../../domain/errors.ts";
import { handlers } from "../handlers/index.ts";
import { parseInput } from "../shapes/index.ts";
import { toErrorResponse } from "./error-mapping.ts";
import type { OperationName } from "./operations.ts";
import { authorize } from "./policy.ts";
import { resourceArnFor } from "./resource-arn.ts";
import { ResponseCache } from "./response-cache.ts";
import { parseQuery, route } from "./router.ts";
import { toWireJson } from "./serialize.ts";
import { verifySigV4 } from "./sigv4-verify.ts";

const MAX_BODY_BYTES = 6 * 1024 * 1024;

export function createHttpServer(
  app: App,
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Server {
  return createServer(requestListener(app, extra));
}

/** The API's request handler, for a server that was bound before the app existed. */
export function requestListener(
  app: App,
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = new ResponseCache(app.store.caps.dataVersion, app.config.apiCacheMb * 1024 * 1024);
  return (req, res) => {
    if (extra?.(req, res)) return;
    void handle(app, cache, req, res);
  };
}

async function handle(
  app: App,
  cache: ResponseCache,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = randomUUID();
  const started = performance.now();
  let operation: OperationName | undefined;
  let accountId: string | undefined;
  let status = 200;
  let errorType: string | undefined;
  try {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? "" : rawUrl.slice(q + 1);
    const r = route(req.method ?? "GET", path);
    const body = await readBody(req);
    if ("error" in r) {
      throw new ValidationError(
        r.error === "not-found"
          ? `No AppFlow operation is bound to ${req.method} ${path}`
          : `${req.method} is not allowed on ${path}`,
      );
    }
    operation = r.operation;
    const { credential, region } = await verifySigV4(
      { method: req.method ?? "GET", path, query, headers: req.headers, body },
      (id) => app.credentials.lookup(id),
      new Date(app.now()),
    );
    accountId = credential.accountId;
    const caller: Caller = { accountId, region, principalArn: credential.principalArn, requestId };
    if (!app.throttle.take(accountId, operation)) {
      app.metrics.throttled.inc({ operation });
      throw new ThrottlingError();
    }
    const raw = parseBody(body);
    const merged = { ...raw, ...r.pathParams, ...queryMembers(operation, query) };
    const input = parseInput(operation, merged);
    authorize(credential, `appflow:${operation}`, resourceArnFor(operation, input, caller));
    const key = cache.keyOf(operation, accountId, input);
    const cached = key === undefined ? undefined : cache.get(key);
    if (cached !== undefined) {
      send(res, 200, requestId, cached);
      return;
    }
    const readAt = cache.now();
    const output = await handlers[operation](app, caller, input as never);
    const answer = Buffer.from(toWireJson(output ?? {}));
    if (key !== undefined) cache.set(key, readAt, answer);
    send(res, 200, requestId, answer);
  } catch (err) {
    const e = toErrorResponse(err, requestId, app.log);
    status = e.status;
    errorType = e.type;
    res.setHeader("x-amzn-ErrorType", e.type);
    send(res, e.status, requestId, JSON.stringify({ message: e.message }));
  } finally {
    const op = operation ?? "unknown";
    app.metrics.requests.inc({ operation: op, error_type: errorType ?? "" });
    app.metrics.requestSeconds.observe({ operation: op }, (performance.now() - started) / 1000);
    app.log.info(
      {
        requestId,
        operation,
        account: accountId,
        status,
        errorType,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  }
}

function send(res: ServerResponse, status: number, requestId: string, body: string | Buffer): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-RequestId": requestId,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ValidationError(`request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ValidationError("request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ValidationError("request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function queryMembers(operation: OperationName, query: string): Record<string, unknown> {
  if (operation !== "UntagResource") return {};
  return { tagKeys: parseQuery(query).tagKeys ?? [] };
}

/**
 * HTTP plumbing shared by the fake's endpoints: reading bodies, answering JSON / CSV / Salesforce error
 * bodies, and a tiny regex router.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { SalesforceError } from "./errors.ts";
import { RecordError } from "./values.ts";

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  url: URL;
  body: string;
  /** "62.0" for /services/data/v62.0/… paths. */
  version: string;
  /** Headers to add to whatever the handler answers (Sforce-Limit-Info). */
  headers: Record<string, string>;
  status?: number;
}

export type Handler = (ctx: Ctx, m: RegExpExecArray) => Promise<void> | void;
export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function send(
  ctx: Ctx,
  status: number,
  body: string,
  contentType: string,
  extra: Record<string, string> = {},
): void {
  ctx.status = status;
  ctx.res.writeHead(status, {
    ...ctx.headers,
    ...extra,
    ...(body === "" && status === 204 ? {} : { "content-type": contentType }),
  });
  ctx.res.end(status === 204 ? undefined : body);
}

export function sendJson(ctx: Ctx, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(ctx, status, JSON.stringify(value), "application/json;charset=UTF-8", extra);
}

export function sendError(ctx: Ctx, err: unknown) {
  if (err instanceof SalesforceError) return sendJson(ctx, err.status, err.body());
  if (err instanceof RecordError)
    return sendJson(ctx, 400, [{ message: err.message, errorCode: err.statusCode, fields: err.fields }]);
  sendJson(ctx, 500, [
    { message: `fake Salesforce internal error: ${(err as Error).message}`, errorCode: "UNKNOWN_EXCEPTION" },
  ]);
}

/** Parses a JSON request body; a bad one is JSON_PARSER_ERROR, as Salesforce answers. */
export function jsonBody<T = Record<string, unknown>>(ctx: Ctx): T {
  try {
    return JSON.parse(ctx.body) as T;
  } catch (e) {
    throw new SalesforceError(
      400,
      "JSON_PARSER_ERROR",
      `The request body is not valid JSON: ${(e as Error).message}`,
    );
  }
}

export async function dispatch(routes: Route[], ctx: Ctx): Promise<boolean> {
  for (const r of routes) {
    if (r.method !== ctx.method) continue;
    r.pattern.lastIndex = 0;
    const m = r.pattern.exec(ctx.path);
    if (m) {
      await r.handler(ctx, m);
      return true;
    }
  }
  return false;
}

export const delay = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();

/** Routes method + path to an operation, per the restJson1 bindings; `{resourceArn}` is one encoded segment. */
import { type OperationName, operations } from "./operations.ts";

export interface Route {
  operation: OperationName;
  pathParams: Record<string, string>;
}

interface Compiled {
  operation: OperationName;
  method: string;
  parts: string[];
}

const table: Compiled[] = Object.entries(operations).map(([operation, b]) => ({
  operation: operation as OperationName,
  method: b.method,
  parts: b.path.split("/").slice(1),
}));

export type RouteResult = Route | { error: "not-found" | "method-not-allowed" };

export function route(method: string, rawPath: string): RouteResult {
  const segments = rawPath.split("/").slice(1);
  let pathMatched = false;
  for (const c of table) {
    if (c.parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < c.parts.length && ok; i++) {
      const want = c.parts[i]!;
      const got = segments[i]!;
      if (want.startsWith("{")) {
        if (got === "") ok = false;
        else {
          try {
            params[want.slice(1, -1)] = decodeURIComponent(got);
          } catch {
            ok = false;
          }
        }
      } else if (want !== got) ok = false;
    }
    if (!ok) continue;
    pathMatched = true;
    if (c.method === method) return { operation: c.operation, pathParams: params };
  }
  return { error: pathMatched ? "method-not-allowed" : "not-found" };
}

/** Query parameters as the operations use them: `tagKeys` repeats. */
export function parseQuery(query: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(query)) {
    const list = out[k] ?? [];
    list.push(v);
    out[k] = list;
  }
  return out;
}

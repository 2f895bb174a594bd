/** Unauthenticated, cheap health endpoints for orchestrators: liveness and readiness. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sql } from "kysely";
import type { App } from "./app.ts";
import { unfinishedRunCounts } from "./store/runs/list-runs.ts";

export function healthRoutes(app: App) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== "GET") return false;
    if (req.url === "/health/live") {
      reply(res, 200, { status: "ok" });
      return true;
    }
    if (req.url === "/metrics") {
      app.metrics.runsActive.set(app.workers.activeCount);
      unfinishedRunCounts(app.store.db)
        .then((counts) => {
          for (const [state, n] of Object.entries(counts)) app.metrics.runsByState.set({ state }, n);
        })
        .catch(() => {})
        .then(() => app.metrics.registry.metrics())
        .then(
          (text) => {
            res.writeHead(200, { "content-type": app.metrics.registry.contentType });
            res.end(text);
          },
          () => reply(res, 500, { status: "error" }),
        );
      return true;
    }
    if (req.url === "/health/ready") {
      sql`select 1`
        .execute(app.store.db)
        .then(() =>
          reply(res, 200, {
            status: "ready",
            store: app.store.caps.dialect,
            workers: app.workers.activeCount,
          }),
        )
        .catch(() => reply(res, 503, { status: "unavailable", store: "unreachable" }));
      return true;
    }
    return false;
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

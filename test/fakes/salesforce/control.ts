/**
 * The control endpoint for script mode (`npm run fake:salesforce`): the same levers as the programmatic
 * API, over HTTP under /__fake/. Not a Salesforce API — never authenticated, loopback only.
 */
import { type Ctx, jsonBody, type Route, sendJson } from "./http.ts";
import type { FaultPreset, FaultRule, Knobs } from "./knobs.ts";
import type { ValidationRule } from "./org.ts";
import type { FakeSalesforce } from "./server.ts";

type Act = (ctx: Ctx, m: RegExpExecArray) => unknown;

export function controlRoutes(fake: FakeSalesforce): Route[] {
  const body = <T>(ctx: Ctx): T => (ctx.body.trim() === "" ? ({} as T) : jsonBody<T>(ctx));
  const route = (method: string, pattern: RegExp, act: Act, status = 200): Route => ({
    method,
    pattern,
    handler: (ctx, m) => {
      sendJson(ctx, status, act(ctx, m) ?? {});
    },
  });
  const message = (ctx: Ctx): string => body<{ message?: string }>(ctx).message ?? "InternalServerError";
  return [
    route("GET", /^\/__fake\/state$/, () => ({
      instanceUrl: fake.instanceUrl,
      clientId: fake.clientId,
      username: fake.username,
      knobs: fake.knobs,
      apiUsage: fake.apiUsage(),
      latestReplayId: fake.latestReplayId(),
      counts: Object.fromEntries(
        [...fake.org.objects.values()].map((o) => [o.name, fake.org.list(o.name).length]),
      ),
    })),
    route("POST", /^\/__fake\/configure$/, (ctx) => {
      fake.configure(body<Partial<Knobs>>(ctx));
      return fake.knobs;
    }),
    route("GET", /^\/__fake\/records\/(\w+)$/, (ctx, m) =>
      fake.records(m[1]!, { includeDeleted: ctx.url.searchParams.get("includeDeleted") === "true" }),
    ),
    route("POST", /^\/__fake\/records\/(\w+)$/, (ctx, m) => ({ id: fake.insert(m[1]!, body(ctx)) }), 201),
    route("PATCH", /^\/__fake\/records\/(\w+)\/(\w+)$/, (ctx, m) => {
      fake.update(m[1]!, m[2]!, body(ctx));
      return { id: m[2] };
    }),
    route("DELETE", /^\/__fake\/records\/(\w+)\/(\w+)$/, (_ctx, m) => {
      fake.delete(m[1]!, m[2]!);
      return { id: m[2] };
    }),
    route("POST", /^\/__fake\/expire-tokens$/, (ctx) => ({
      expired: fake.expireAccessTokens(body<{ token?: string }>(ctx).token),
    })),
    route("POST", /^\/__fake\/revoke-refresh-token$/, (ctx) => ({
      revoked: fake.revokeRefreshToken(body<{ token?: string }>(ctx).token),
    })),
    route("POST", /^\/__fake\/refresh-token$/, () => ({ refreshToken: fake.issueRefreshToken() })),
    route("POST", /^\/__fake\/faults$/, (ctx) => {
      const b = body<FaultRule & { preset?: FaultPreset }>(ctx);
      if (b.preset) fake.injectFault(b.preset, b);
      else fake.injectFault(b);
    }),
    route("DELETE", /^\/__fake\/faults$/, () => fake.clearFaults()),
    route("POST", /^\/__fake\/fail-next-query-job$/, (ctx) => fake.failNextQueryJob(message(ctx))),
    route("POST", /^\/__fake\/fail-next-ingest-job$/, (ctx) => fake.failNextIngestJob(message(ctx))),
    route("POST", /^\/__fake\/validation-rules$/, (ctx) => fake.addValidationRule(body<ValidationRule>(ctx))),
    route("POST", /^\/__fake\/expire-events$/, (ctx) =>
      fake.expireEvents(body<{ keepLast?: number }>(ctx).keepLast ?? 0),
    ),
    route("POST", /^\/__fake\/reset-api-usage$/, () => fake.resetApiUsage()),
    route("GET", /^\/__fake\/calls$/, () => fake.calls()),
    route("DELETE", /^\/__fake\/calls$/, () => fake.clearCalls()),
  ];
}

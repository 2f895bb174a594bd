/** Plain-fetch helpers for the fake Salesforce tests: a token from the refresh flow, and authed calls. */
import type { FakeSalesforce } from "./salesforce/server.ts";

export const V = "/services/data/v62.0";

export async function tokenFor(fake: FakeSalesforce, form: Record<string, string>): Promise<Response> {
  return fetch(`${fake.instanceUrl}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

export async function refresh(fake: FakeSalesforce, refreshToken = fake.refreshToken): Promise<string> {
  const r = await tokenFor(fake, {
    grant_type: "refresh_token",
    client_id: fake.clientId,
    client_secret: fake.clientSecret,
    refresh_token: refreshToken,
  });
  if (r.status !== 200) throw new Error(`refresh failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

export function client(fake: FakeSalesforce, token: string) {
  const call = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${fake.instanceUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined
          ? {}
          : { "content-type": typeof body === "string" ? "text/csv" : "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return {
    call,
    json: async <T = Record<string, unknown>>(
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ): Promise<{ status: number; body: T; headers: Headers }> => {
      const r = await call(method, path, body, headers);
      const text = await r.text();
      return {
        status: r.status,
        body: (text === "" ? undefined : JSON.parse(text)) as T,
        headers: r.headers,
      };
    },
    query: (q: string, all = false, headers?: Record<string, string>) =>
      call("GET", `${V}/${all ? "queryAll" : "query"}?q=${encodeURIComponent(q)}`, undefined, headers),
  };
}

/** Polls until `check` returns a value, or fails after the deadline (no fixed sleeps). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

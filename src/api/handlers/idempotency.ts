/**
 * clientToken idempotency: the same token with the same request returns the first result for the
 * retention window (8 h); the same token with a different request is a ConflictException.
 */
import { createHash } from "node:crypto";
import type { App, Caller } from "../../app.ts";
import { ConflictError } from "../../domain/errors.ts";
import { findIdempotent, saveIdempotent } from "../../store/idempotency-sql.ts";

export async function idempotent<T>(
  app: App,
  caller: Caller,
  operation: string,
  input: { clientToken?: string },
  run: () => Promise<T>,
): Promise<T> {
  const token = input.clientToken;
  if (!token) return run();
  return oneAtATime(app, `${caller.accountId}\n${operation}\n${token}`, () =>
    checkThenRun(app, caller, operation, token, input, run),
  );
}

// Requests with the same token are handled one after another in this process, so an SDK retry that
// overlaps the original waits for its result instead of racing it (a false ConflictException from
// CreateFlow, or a second run from StartFlow). Several processes on one store can still race.
const inFlight = new WeakMap<App, Map<string, Promise<unknown>>>();

async function oneAtATime<T>(app: App, key: string, fn: () => Promise<T>): Promise<T> {
  let chains = inFlight.get(app);
  if (!chains) {
    chains = new Map();
    inFlight.set(app, chains);
  }
  const next = (chains.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
  chains.set(key, next);
  try {
    return await next;
  } finally {
    if (chains.get(key) === next) chains.delete(key);
  }
}

async function checkThenRun<T>(
  app: App,
  caller: Caller,
  operation: string,
  token: string,
  input: { clientToken?: string },
  run: () => Promise<T>,
): Promise<T> {
  const now = app.now();
  const hash = createHash("sha256").update(stableJson(input)).digest("hex");
  const prior = await findIdempotent(
    app.store.db,
    caller.accountId,
    operation,
    token,
    now - app.config.limits.idempotencyMs,
  );
  if (prior) {
    if (prior.request_hash !== hash) {
      throw new ConflictError(`clientToken ${token} was already used with a different ${operation} request`);
    }
    return JSON.parse(prior.response) as T;
  }
  const result = await run();
  await saveIdempotent(app.store.db, {
    account_id: caller.accountId,
    operation,
    client_token: token,
    request_hash: hash,
    response: JSON.stringify(result),
    created_at: now,
  });
  return result;
}

/** JSON with sorted keys, so member order doesn't change the request's identity. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

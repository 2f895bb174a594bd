/**
 * clientToken idempotency: the same token with the same request returns the first result for the
 * retention window (8 h); the same token with a different request is a ConflictException. The token
 * is reserved in the store before the work starts, so a retry that overlaps the original (on this
 * node or another) waits for its result instead of doing the work twice.
 */
import { createHash } from "node:crypto";
import type { App, Caller } from "../../app.ts";
import { ConflictError } from "../../domain/errors.ts";
import {
  completeToken,
  findIdempotent,
  PENDING,
  releaseToken,
  reserveToken,
  type TokenKey,
} from "../../store/idempotency-sql.ts";

const WAIT_MS = 30_000;

export async function idempotent<T>(
  app: App,
  caller: Caller,
  operation: string,
  input: { clientToken?: string },
  run: () => Promise<T>,
): Promise<T> {
  const token = input.clientToken;
  if (!token) return run();
  const key: TokenKey = { account_id: caller.accountId, operation, client_token: token };
  const hash = createHash("sha256").update(stableJson(input)).digest("hex");
  const db = app.store.db;
  const deadline = app.now() + WAIT_MS;
  for (;;) {
    await releaseToken(db, key, app.now() - app.config.limits.idempotencyMs); // an expired record frees the token
    if (await reserveToken(db, key, hash, app.now())) {
      let result: T;
      try {
        result = await run();
      } catch (err) {
        await releaseToken(db, key);
        throw err;
      }
      await completeToken(db, key, JSON.stringify(result));
      return result;
    }
    const prior = await findIdempotent(db, key);
    if (prior && prior.request_hash !== hash) {
      throw new ConflictError(`clientToken ${token} was already used with a different ${operation} request`);
    }
    if (prior && prior.response !== PENDING) return JSON.parse(prior.response) as T;
    // Another request with this token is still working (or just failed and released it): try again.
    if (app.now() > deadline) {
      throw new ConflictError(`A request with clientToken ${token} is still in progress; retry later`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
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

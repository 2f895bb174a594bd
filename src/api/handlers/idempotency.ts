/**
 * clientToken idempotency: the same token with the same request returns the first result for the
 * retention window (8 h); the same token with a different request is a ConflictException. The
 * token's record is written by the transaction that does the work (the handler passes `guard` to
 * its store write), so a retry that overlaps the original — on this node or another — waits for
 * that transaction, and one whose node died mid-request does the work itself: exactly once.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { App, Caller } from "../../app.ts";
import { ConflictError } from "../../domain/errors.ts";
import { findIdempotent, recordToken, type TokenKey, TokenTaken } from "../../store/idempotency-sql.ts";
import type { Database } from "../../store/schema.ts";

/** Given the answer the work will return, the statement the work's transaction runs first. */
export type TokenGuard<T> = (response: T) => ((trx: Kysely<Database>) => Promise<void>) | undefined;

export async function idempotent<T>(
  app: App,
  caller: Caller,
  operation: string,
  input: { clientToken?: string },
  run: (guard: TokenGuard<T>) => Promise<T>,
): Promise<T> {
  const token = input.clientToken;
  if (!token) return run(() => undefined);
  const key: TokenKey = { account_id: caller.accountId, operation, client_token: token };
  const hash = createHash("sha256").update(stableJson(input)).digest("hex");
  const liveSince = () => app.now() - app.config.limits.idempotencyMs;
  const answered = async (): Promise<T | undefined> => {
    const prior = await findIdempotent(app.store.db, key, liveSince());
    if (!prior) return undefined;
    if (prior.request_hash !== hash) {
      throw new ConflictError(`clientToken ${token} was already used with a different ${operation} request`);
    }
    return JSON.parse(prior.response) as T;
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const prior = await answered();
    if (prior !== undefined) return prior;
    try {
      return await run(
        (response) => (trx) => recordToken(trx, key, hash, JSON.stringify(response), app.now(), liveSince()),
      );
    } catch (err) {
      // Another request with this token committed first (it was in flight): its result is the
      // answer, also when our work then failed because of what that one did (e.g. "already exists").
      const prior = await answered();
      if (prior !== undefined) return prior;
      if (!(err instanceof TokenTaken)) throw err;
    }
  }
  throw new ConflictError(`A request with clientToken ${token} is still in progress; retry later`);
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

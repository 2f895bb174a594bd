/**
 * clientToken idempotency records: same token + same request → same response, for a retention
 * window. A record is written only inside the transaction that does the request's work, as that
 * transaction's first write: a concurrent request with the token waits on it (the primary key),
 * and a node that dies mid-request leaves nothing behind (its transaction rolls back), so the
 * retry does the work — exactly once either way.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export interface TokenKey {
  account_id: string;
  operation: string;
  client_token: string;
}

/** The answered record of a token, unless it expired before `liveSince`. */
export async function findIdempotent(db: Kysely<Database>, key: TokenKey, liveSince: number) {
  return keyed(db.selectFrom("idempotency").select(["request_hash", "response", "created_at"]), key)
    .where("created_at", ">=", liveSince)
    .executeTakeFirst();
}

/** Another request's transaction recorded this token first: its answer is the answer. */
export class TokenTaken extends Error {}

/**
 * Records the token's answer in the work's transaction `trx` (an expired record is replaced).
 * Throws TokenTaken when a live record exists, which rolls the work back.
 */
export async function recordToken(
  trx: Kysely<Database>,
  key: TokenKey,
  requestHash: string,
  response: string,
  now: number,
  liveSince: number,
): Promise<void> {
  const values = { request_hash: requestHash, response, created_at: now };
  const res = await trx
    .insertInto("idempotency")
    .values({ ...key, ...values })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "operation", "client_token"])
        .doUpdateSet(values)
        .where("idempotency.created_at", "<", liveSince),
    )
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) !== 1) throw new TokenTaken();
}

/** A write in the same transaction as the token record (`first`); false from `write` rolls both back. */
export async function withToken(
  db: Kysely<Database>,
  first: ((trx: Kysely<Database>) => Promise<void>) | undefined,
  write: (db: Kysely<Database>) => Promise<boolean>,
): Promise<boolean> {
  if (!first) return write(db);
  const undo = new Error("rolled back");
  try {
    return await db.transaction().execute(async (trx) => {
      await first(trx);
      if (!(await write(trx))) throw undo;
      return true;
    });
  } catch (err) {
    if (err === undo) return false;
    throw err;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the same three conditions on a SELECT or a DELETE builder.
function keyed<Q extends { where: (...a: any[]) => Q }>(q: Q, key: TokenKey): Q {
  return q
    .where("account_id", "=", key.account_id)
    .where("operation", "=", key.operation)
    .where("client_token", "=", key.client_token);
}

export async function purgeIdempotent(db: Kysely<Database>, olderThan: number): Promise<void> {
  await db.deleteFrom("idempotency").where("created_at", "<", olderThan).execute();
}

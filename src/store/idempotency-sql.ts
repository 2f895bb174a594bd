/**
 * clientToken idempotency records: same token + same request → same response, for a retention
 * window. A record is first inserted as a reservation (empty response) by the request that will do
 * the work, so concurrent requests with one token — on any node — wait for that one's result.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export const PENDING = "";

export interface TokenKey {
  account_id: string;
  operation: string;
  client_token: string;
}

export async function findIdempotent(db: Kysely<Database>, key: TokenKey) {
  return db
    .selectFrom("idempotency")
    .select(["request_hash", "response", "created_at"])
    .where("account_id", "=", key.account_id)
    .where("operation", "=", key.operation)
    .where("client_token", "=", key.client_token)
    .executeTakeFirst();
}

/** Claims the token for this request; false when another request holds it (or has answered it). */
export async function reserveToken(db: Kysely<Database>, key: TokenKey, requestHash: string, now: number) {
  const res = await db
    .insertInto("idempotency")
    .values({ ...key, request_hash: requestHash, response: PENDING, created_at: now })
    .onConflict((oc) => oc.columns(["account_id", "operation", "client_token"]).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function completeToken(db: Kysely<Database>, key: TokenKey, response: string): Promise<void> {
  await keyed(db.updateTable("idempotency").set({ response }), key).execute();
}

/** Drops a reservation whose request failed (a retry may then do the work), or an expired record. */
export async function releaseToken(db: Kysely<Database>, key: TokenKey, olderThan?: number): Promise<void> {
  let q = keyed(db.deleteFrom("idempotency"), key);
  if (olderThan !== undefined) q = q.where("created_at", "<", olderThan);
  await q.execute();
}

// biome-ignore lint/suspicious/noExplicitAny: the same three conditions on an UPDATE or a DELETE builder.
function keyed<Q extends { where: (...a: any[]) => Q }>(q: Q, key: TokenKey): Q {
  return q
    .where("account_id", "=", key.account_id)
    .where("operation", "=", key.operation)
    .where("client_token", "=", key.client_token);
}

export async function purgeIdempotent(db: Kysely<Database>, olderThan: number): Promise<void> {
  await db.deleteFrom("idempotency").where("created_at", "<", olderThan).execute();
}

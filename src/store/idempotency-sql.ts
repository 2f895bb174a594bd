/** clientToken idempotency records: same token + same request → same response, for a retention window. */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export async function findIdempotent(
  db: Kysely<Database>,
  accountId: string,
  operation: string,
  token: string,
  notBefore: number,
) {
  return db
    .selectFrom("idempotency")
    .select(["request_hash", "response"])
    .where("account_id", "=", accountId)
    .where("operation", "=", operation)
    .where("client_token", "=", token)
    .where("created_at", ">=", notBefore)
    .executeTakeFirst();
}

export async function saveIdempotent(
  db: Kysely<Database>,
  row: {
    account_id: string;
    operation: string;
    client_token: string;
    request_hash: string;
    response: string;
    created_at: number;
  },
): Promise<void> {
  // A stale record for the same token (older than the window) is replaced.
  await db
    .insertInto("idempotency")
    .values(row)
    .onConflict((oc) =>
      oc.columns(["account_id", "operation", "client_token"]).doUpdateSet({
        request_hash: row.request_hash,
        response: row.response,
        created_at: row.created_at,
      }),
    )
    .execute();
}

export async function purgeIdempotent(db: Kysely<Database>, olderThan: number): Promise<void> {
  await db.deleteFrom("idempotency").where("created_at", "<", olderThan).execute();
}

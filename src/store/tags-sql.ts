/** Resource tags, keyed by account and ARN so no account can see another's. */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export async function getTags(
  db: Kysely<Database>,
  accountId: string,
  arn: string,
): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom("tags")
    .select(["tag_key", "tag_value"])
    .where("account_id", "=", accountId)
    .where("resource_arn", "=", arn)
    .orderBy("tag_key")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.tag_key, r.tag_value]));
}

export async function putTags(
  db: Kysely<Database>,
  accountId: string,
  arn: string,
  tags: Record<string, string>,
): Promise<void> {
  const entries = Object.entries(tags);
  if (entries.length === 0) return;
  await db
    .insertInto("tags")
    .values(entries.map(([k, v]) => ({ account_id: accountId, resource_arn: arn, tag_key: k, tag_value: v })))
    .onConflict((oc) =>
      oc.columns(["account_id", "resource_arn", "tag_key"]).doUpdateSet((eb) => ({
        tag_value: eb.ref("excluded.tag_value"),
      })),
    )
    .execute();
}

export async function deleteTags(
  db: Kysely<Database>,
  accountId: string,
  arn: string,
  keys?: string[],
): Promise<void> {
  let q = db.deleteFrom("tags").where("account_id", "=", accountId).where("resource_arn", "=", arn);
  if (keys) {
    if (keys.length === 0) return;
    q = q.where("tag_key", "in", keys);
  }
  await q.execute();
}

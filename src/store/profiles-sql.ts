/** Connector profile rows. Credentials are stored only as an encrypted envelope. */
import type { Kysely } from "kysely";
import type { ConnectorProfilesTable, Database } from "./schema.ts";
import { deleteTags } from "./tags-sql.ts";

export type ProfileRow = ConnectorProfilesTable;

export async function insertProfile(db: Kysely<Database>, row: ProfileRow): Promise<boolean> {
  const res = await db
    .insertInto("connector_profiles")
    .values(row)
    .onConflict((oc) => oc.columns(["account_id", "profile_name"]).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function getProfile(db: Kysely<Database>, accountId: string, name: string) {
  return db
    .selectFrom("connector_profiles")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("profile_name", "=", name)
    .executeTakeFirst();
}

export interface ProfileFilter {
  names?: string[];
  connectorType?: string;
  connectorLabel?: string;
  afterName?: string;
}

export async function listProfiles(db: Kysely<Database>, accountId: string, limit: number, f: ProfileFilter) {
  let q = db.selectFrom("connector_profiles").selectAll().where("account_id", "=", accountId);
  if (f.names && f.names.length > 0) q = q.where("profile_name", "in", f.names);
  if (f.connectorType) q = q.where("connector_type", "=", f.connectorType);
  if (f.connectorLabel) q = q.where("connector_label", "=", f.connectorLabel);
  if (f.afterName !== undefined) q = q.where("profile_name", ">", f.afterName);
  return q.orderBy("profile_name").limit(limit).execute();
}

export async function updateProfileRow(
  db: Kysely<Database>,
  accountId: string,
  name: string,
  patch: Pick<ProfileRow, "connection_mode" | "properties" | "credentials_enc" | "updated_at">,
): Promise<boolean> {
  const res = await db
    .updateTable("connector_profiles")
    .set(patch)
    .where("account_id", "=", accountId)
    .where("profile_name", "=", name)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The profile and its tags, in one transaction. */
export async function deleteProfileRow(db: Kysely<Database>, row: ProfileRow): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await deleteTags(trx, row.account_id, row.profile_arn);
    const res = await trx
      .deleteFrom("connector_profiles")
      .where("account_id", "=", row.account_id)
      .where("profile_name", "=", row.profile_name)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  });
}

/**
 * Replaces a profile's credentials only if they are still the ones the caller read (`previous`, the
 * stored envelope): two runs refreshing the same OAuth token at once can't clobber each other; the
 * loser reads the winner's credentials instead. Returns false when the fence did not hold.
 */
export async function replaceProfileCredentials(
  db: Kysely<Database>,
  accountId: string,
  name: string,
  previous: string,
  next: string,
  now: number,
): Promise<boolean> {
  const res = await db
    .updateTable("connector_profiles")
    .set({ credentials_enc: next, updated_at: now })
    .where("account_id", "=", accountId)
    .where("profile_name", "=", name)
    .where("credentials_enc", "=", previous)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

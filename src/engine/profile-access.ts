/**
 * Connector profiles as connectors see them: decrypted in memory only, with saveCredentials writing
 * rotated credentials back encrypted and fenced on the envelope this holder read (see
 * replaceProfileCredentials). Shared by runs, entity listing and flow checks.
 */
import type { Kysely } from "kysely";
import type { ResolvedProfile } from "../connectors/types.ts";
import { ResourceNotFoundError, ValidationError } from "../domain/errors.ts";
import type { SecretBox } from "../domain/secrets.ts";
import { getProfile, replaceProfileCredentials } from "../store/profiles-sql.ts";
import type { Database } from "../store/schema.ts";

export interface ProfileDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  now(): number;
}

export interface OpenedProfile {
  profile: ResolvedProfile;
  saveCredentials(updated: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export async function openProfile(
  deps: ProfileDeps,
  accountId: string,
  name: string,
  expectedType?: string,
): Promise<OpenedProfile> {
  const row = await getProfile(deps.db, accountId, name);
  if (!row) throw new ResourceNotFoundError(`Connector profile ${name} does not exist`);
  if (expectedType && row.connector_type !== expectedType) {
    throw new ValidationError(
      `connector profile ${name} is a ${row.connector_type} profile, not ${expectedType}`,
    );
  }
  let fence = row.credentials_enc;
  const profile: ResolvedProfile = {
    connectorProfileName: row.profile_name,
    connectorType: row.connector_type,
    properties: JSON.parse(row.properties) as Record<string, unknown>,
    credentials: deps.secrets.open<Record<string, unknown>>(fence),
  };
  // One save at a time per holder, so the fence always names what this holder last saw.
  let chain: Promise<unknown> = Promise.resolve();
  const save = async (updated: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const next = deps.secrets.seal(updated);
    if (await replaceProfileCredentials(deps.db, accountId, name, fence, next, deps.now())) {
      fence = next;
      profile.credentials = updated;
      return updated;
    }
    // Another holder rotated them first (or the profile was updated): use what is stored now.
    const current = await getProfile(deps.db, accountId, name);
    if (!current) throw new ResourceNotFoundError(`Connector profile ${name} does not exist`);
    fence = current.credentials_enc;
    profile.credentials = deps.secrets.open<Record<string, unknown>>(fence);
    return profile.credentials;
  };
  return {
    profile,
    saveCredentials: (updated) => {
      const p = chain.then(() => save(updated));
      chain = p.catch(() => {});
      return p;
    },
  };
}

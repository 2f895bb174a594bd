/**
 * Connector profiles. Credentials are tested, then sealed (AES-256-GCM) before they reach the store,
 * and no response ever carries them.
 */
import type { App, Caller } from "../../app.ts";
import { getConnector, memberFor } from "../../connectors/registry.ts";
import { connectorProfileArn } from "../../domain/arn.ts";
import { ConflictError, ResourceNotFoundError, ValidationError } from "../../domain/errors.ts";
import { flowsUsingProfile } from "../../store/flows-sql.ts";
import {
  deleteProfileRow,
  getProfile,
  insertProfile,
  listProfiles,
  type ProfileRow,
  updateProfileRow,
} from "../../store/profiles-sql.ts";
import { epochSeconds } from "../protocol/serialize.ts";
import { connectorEnv } from "./connector-env.ts";
import { decodeToken, encodeToken } from "./pagination.ts";

interface ProfileConfig {
  connectorProfileProperties: Record<string, Record<string, unknown> | undefined>;
  connectorProfileCredentials?: Record<string, Record<string, unknown> | undefined>;
}

export interface CreateProfileInput {
  connectorProfileName: string;
  kmsArn?: string;
  connectorType: string;
  connectorLabel?: string;
  connectionMode: string;
  connectorProfileConfig: ProfileConfig;
  clientToken?: string;
}

/**
 * Tests the profile against its service. A connector that rotates credentials while testing (an
 * OAuth refresh) hands them back through saveCredentials; what is stored is the latest.
 */
async function tested(app: App, connectorType: string, name: string, cfg: ProfileConfig) {
  const desc = getConnector(connectorType);
  if (!desc?.profile) {
    throw new ValidationError(
      `connectorType: ${connectorType} connector profiles are not supported by this server`,
    );
  }
  const member = memberFor(connectorType);
  const properties = cfg.connectorProfileProperties[member];
  if (!properties) {
    throw new ValidationError(
      `connectorProfileConfig.connectorProfileProperties.${member}: is required for a ${connectorType} connector profile`,
    );
  }
  let credentials = cfg.connectorProfileCredentials?.[member] ?? {};
  await desc.profile.test({
    profile: { connectorProfileName: name, connectorType, properties, credentials },
    env: connectorEnv(app),
    signal: AbortSignal.timeout(15_000),
    saveCredentials: async (updated) => {
      credentials = updated;
      return updated;
    },
  });
  return { properties, credentials };
}

export async function createConnectorProfile(app: App, caller: Caller, input: CreateProfileInput) {
  const name = input.connectorProfileName;
  if (await getProfile(app.store.db, caller.accountId, name)) {
    throw new ConflictError(`Connector profile ${name} already exists`);
  }
  const { properties, credentials } = await tested(
    app,
    input.connectorType,
    name,
    input.connectorProfileConfig,
  );
  const now = app.now();
  const arn = connectorProfileArn(caller.region, caller.accountId, name);
  const ok = await insertProfile(app.store.db, {
    account_id: caller.accountId,
    profile_name: name,
    profile_arn: arn,
    connector_type: input.connectorType,
    connector_label: input.connectorLabel ?? null,
    connection_mode: input.connectionMode,
    properties: JSON.stringify(properties),
    credentials_enc: app.secrets.seal(credentials),
    credentials_arn: `arn:aws:secretsmanager:${caller.region}:${caller.accountId}:secret:sluice!${name}`,
    created_at: now,
    updated_at: now,
  });
  if (!ok) throw new ConflictError(`Connector profile ${name} already exists`);
  return { connectorProfileArn: arn };
}

function details(row: ProfileRow) {
  return {
    connectorProfileArn: row.profile_arn,
    connectorProfileName: row.profile_name,
    connectorType: row.connector_type,
    connectorLabel: row.connector_label ?? undefined,
    connectionMode: row.connection_mode,
    credentialsArn: row.credentials_arn,
    connectorProfileProperties: { [memberFor(row.connector_type)]: JSON.parse(row.properties) },
    createdAt: epochSeconds(row.created_at),
    lastUpdatedAt: epochSeconds(row.updated_at),
  };
}

export async function describeConnectorProfiles(
  app: App,
  caller: Caller,
  input: {
    connectorProfileNames?: string[];
    connectorType?: string;
    connectorLabel?: string;
    maxResults?: number;
    nextToken?: string;
  },
) {
  const limit = input.maxResults ?? 20;
  const after = decodeToken<{ n: string }>(input.nextToken, { n: "string" });
  const rows = await listProfiles(app.store.db, caller.accountId, limit + 1, {
    names: input.connectorProfileNames,
    connectorType: input.connectorType,
    connectorLabel: input.connectorLabel,
    afterName: after?.n,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    connectorProfileDetails: page.map(details),
    nextToken: rows.length > limit && last ? encodeToken({ n: last.profile_name }) : undefined,
  };
}

export async function updateConnectorProfile(
  app: App,
  caller: Caller,
  input: { connectorProfileName: string; connectionMode: string; connectorProfileConfig: ProfileConfig },
) {
  const row = await getProfile(app.store.db, caller.accountId, input.connectorProfileName);
  if (!row) throw new ResourceNotFoundError(`Connector profile ${input.connectorProfileName} does not exist`);
  const { properties, credentials } = await tested(
    app,
    row.connector_type,
    row.profile_name,
    input.connectorProfileConfig,
  );
  await updateProfileRow(app.store.db, caller.accountId, row.profile_name, {
    connection_mode: input.connectionMode,
    properties: JSON.stringify(properties),
    credentials_enc: app.secrets.seal(credentials),
    updated_at: app.now(),
  });
  return { connectorProfileArn: row.profile_arn };
}

export async function deleteConnectorProfile(
  app: App,
  caller: Caller,
  input: { connectorProfileName: string; forceDelete?: boolean },
) {
  const row = await getProfile(app.store.db, caller.accountId, input.connectorProfileName);
  if (!row) throw new ResourceNotFoundError(`Connector profile ${input.connectorProfileName} does not exist`);
  const users = await flowsUsingProfile(app.store.db, caller.accountId, row.profile_name);
  if (users.length > 0 && !input.forceDelete) {
    throw new ConflictError(
      `Connector profile ${row.profile_name} is used by flow(s) ${users.join(", ")}; delete them first or use forceDelete`,
    );
  }
  await deleteProfileRow(app.store.db, row);
  return {};
}

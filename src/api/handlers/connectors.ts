/**
 * The connector types this server implements, described truthfully; entity listing through the
 * connector. Custom connector registration is not supported and says so.
 */
import type { App, Caller } from "../../app.ts";
import { describeEntity, listEntities } from "../../connectors/entities.ts";
import { connectorRegistry, getConnector, toConnectorConfiguration } from "../../connectors/registry.ts";
import type { EntityContext } from "../../connectors/sdk/definition.ts";
import { ResourceNotFoundError, UnsupportedOperationError, ValidationError } from "../../domain/errors.ts";
import type { OpenedProfile } from "../../engine/profile-access.ts";
import { connectorEnv } from "./connector-env.ts";
import { resolveProfile } from "./flow-checks.ts";
import { pageOf } from "./pagination.ts";

/** Custom connectors the account registered: registration isn't supported yet, so there are none. */
export async function listConnectors(
  _app: App,
  _c: Caller,
  input: { maxResults?: number; nextToken?: string },
) {
  // Built-in types are not "connectors" here (AppFlow lists registered ones); DescribeConnectors has those.
  const { page, nextToken } = pageOf(
    [] as { connectorLabel: string }[],
    (c) => c.connectorLabel,
    input,
    "ListConnectors",
  );
  return { connectors: page, nextToken };
}

export async function describeConnectors(
  _app: App,
  _c: Caller,
  input: { connectorTypes?: string[]; maxResults?: number; nextToken?: string },
) {
  const asked = input.connectorTypes?.length ? input.connectorTypes : [...connectorRegistry.keys()];
  const known = [...new Set(asked)].filter((t) => getConnector(t));
  const scope = input.connectorTypes?.length ? [...new Set(asked)].sort().join(",") : "";
  const { page, nextToken } = pageOf(known, (t) => t, input, "DescribeConnectors", scope);
  const connectorConfigurations: Record<string, unknown> = {};
  for (const t of page) connectorConfigurations[t] = toConnectorConfiguration(getConnector(t)!);
  return { connectorConfigurations, nextToken };
}

export async function describeConnector(
  _app: App,
  _c: Caller,
  input: { connectorType: string; connectorLabel?: string },
) {
  const d = getConnector(input.connectorType);
  if (!d) {
    throw new ResourceNotFoundError(
      `Connector ${input.connectorType} is not implemented by this server; available: ${[...connectorRegistry.keys()].join(", ")}`,
    );
  }
  return { connectorConfiguration: toConnectorConfiguration(d) };
}

async function entityTarget(
  app: App,
  caller: Caller,
  input: { connectorProfileName?: string; connectorType?: string },
): Promise<{ type: string; ctx: EntityContext }> {
  let opened: OpenedProfile | undefined;
  let type = input.connectorType;
  if (input.connectorProfileName) {
    opened = await resolveProfile(app, caller.accountId, input.connectorProfileName, input.connectorType);
    type = opened.profile.connectorType;
  }
  if (!type) throw new ValidationError("connectorType: is required when no connectorProfileName is given");
  if (!getConnector(type))
    throw new ValidationError(`connectorType: ${type} is not implemented by this server`);
  const ctx: EntityContext = {
    profile: opened?.profile,
    env: connectorEnv(app),
    signal: AbortSignal.timeout(30_000),
    saveCredentials: opened ? opened.saveCredentials : async (c) => c,
  };
  return { type, ctx };
}

export async function listConnectorEntities(
  app: App,
  caller: Caller,
  input: {
    connectorProfileName?: string;
    connectorType?: string;
    entitiesPath?: string;
    maxResults?: number;
    nextToken?: string;
  },
) {
  const { type, ctx } = await entityTarget(app, caller, input);
  const entities = await listEntities(type, ctx, input.entitiesPath);
  const scope = JSON.stringify([type, input.connectorProfileName ?? "", input.entitiesPath ?? ""]);
  const { page, nextToken } = pageOf(entities, (e) => e.name, input, "ListConnectorEntities", scope);
  return { connectorEntityMap: { [input.entitiesPath ?? ""]: page }, nextToken };
}

export async function describeConnectorEntity(
  app: App,
  caller: Caller,
  input: { connectorEntityName: string; connectorProfileName?: string; connectorType?: string },
) {
  const { type, ctx } = await entityTarget(app, caller, input);
  const fields = await describeEntity(type, ctx, input.connectorEntityName);
  return { connectorEntityFields: fields };
}

export async function customConnectorsUnsupported(): Promise<never> {
  throw new UnsupportedOperationError(
    "Custom connectors (RegisterConnector, UpdateConnectorRegistration, UnregisterConnector, ResetConnectorMetadataCache) are not supported by this server",
  );
}

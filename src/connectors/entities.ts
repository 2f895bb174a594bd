/** ListConnectorEntities / DescribeConnectorEntity, dispatched to the connector's entity declaration. */
import { UnsupportedOperationError, ValidationError } from "../domain/errors.ts";
import type { ConnectorEntity, ConnectorEntityField } from "./entity-types.ts";
import { getConnector } from "./registry.ts";
import type { EntityContext } from "./sdk/definition.ts";

export type { ConnectorEntity, ConnectorEntityField } from "./entity-types.ts";

function entitiesOf(connectorType: string, ctx: EntityContext, what: string) {
  const c = getConnector(connectorType);
  if (!c?.entities) {
    throw new UnsupportedOperationError(
      `${what} entities is not supported for connector type ${connectorType}`,
    );
  }
  if (c.profile && !ctx.profile) {
    throw new ValidationError(`connectorProfileName is required for ${connectorType}`);
  }
  return c.entities;
}

export async function listEntities(
  connectorType: string,
  ctx: EntityContext,
  entitiesPath: string | undefined,
): Promise<ConnectorEntity[]> {
  return entitiesOf(connectorType, ctx, "Listing").list(ctx, entitiesPath);
}

export async function describeEntity(
  connectorType: string,
  ctx: EntityContext,
  entityName: string,
): Promise<ConnectorEntityField[]> {
  return entitiesOf(connectorType, ctx, "Describing").describe(ctx, entityName);
}

/** ListConnectorEntities / DescribeConnectorEntity for the connectors Sluice implements. */
import { UnsupportedOperationError, ValidationError } from "../domain/errors.ts";
import type { ConnectorEntity, ConnectorEntityField } from "./entity-types.ts";
import { describeRedshiftEntity, listRedshiftEntities } from "./redshift/redshift-entities.ts";
import { openObjectStore } from "./s3/open-object-store.ts";
import { describeS3Entity, listS3Entities } from "./s3/s3-entities.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "./types.ts";

export type { ConnectorEntity, ConnectorEntityField } from "./entity-types.ts";

export async function listEntities(
  connectorType: string,
  profile: ResolvedProfile | undefined,
  entitiesPath: string | undefined,
  env: ConnectorEnvironment,
  signal: AbortSignal,
): Promise<ConnectorEntity[]> {
  switch (connectorType) {
    case "S3":
      return listS3Entities(openObjectStore(env), entitiesPath, signal);
    case "Redshift":
      return listRedshiftEntities(needProfile(profile), entitiesPath, signal);
    default:
      throw new UnsupportedOperationError(
        `Listing entities is not supported for connector type ${connectorType}`,
      );
  }
}

export async function describeEntity(
  connectorType: string,
  profile: ResolvedProfile | undefined,
  entityName: string,
  env: ConnectorEnvironment,
  signal: AbortSignal,
): Promise<ConnectorEntityField[]> {
  switch (connectorType) {
    case "S3":
      return describeS3Entity(openObjectStore(env), entityName, signal);
    case "Redshift":
      return describeRedshiftEntity(needProfile(profile), entityName, signal);
    default:
      throw new UnsupportedOperationError(
        `Describing entities is not supported for connector type ${connectorType}`,
      );
  }
}

function needProfile(profile: ResolvedProfile | undefined): ResolvedProfile {
  if (!profile) throw new ValidationError("connectorProfileName is required for Redshift");
  return profile;
}

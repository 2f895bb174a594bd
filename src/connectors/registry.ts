/**
 * The connectors Sluice implements, with descriptors that say only what is true of them, and their
 * rendering as AppFlow's ConnectorConfiguration (DescribeConnectors / DescribeConnector).
 */

import { createRedshiftDestination } from "./redshift/redshift-destination.ts";
import { testRedshiftProfile } from "./redshift/redshift-profile.ts";
import { createS3Destination } from "./s3/s3-destination.ts";
import { S3_OPERATORS } from "./s3/s3-operators.ts";
import { createS3Source } from "./s3/s3-source.ts";
import type { ConnectorDescriptor } from "./types.ts";

export { S3_OPERATORS };

export const s3Descriptor: ConnectorDescriptor = {
  connectorType: "S3",
  canSource: true,
  canDestination: true,
  requiresProfile: false,
  supportedTriggerTypes: ["OnDemand", "Scheduled"],
  supportedOperators: [...S3_OPERATORS],
  supportedWriteOperations: [],
  supportedFileTypes: ["CSV", "JSON", "PARQUET"],
  createSource: (config, ctx) => createS3Source(config, ctx),
  createDestination: (config, ctx) => createS3Destination(config, ctx),
};

export const redshiftDescriptor: ConnectorDescriptor = {
  connectorType: "Redshift",
  canSource: false,
  canDestination: true,
  requiresProfile: true,
  supportedTriggerTypes: ["OnDemand", "Scheduled"],
  supportedOperators: [],
  supportedWriteOperations: ["INSERT"],
  createDestination: (config, ctx, profile) => createRedshiftDestination(config, ctx, profile),
  testProfile: testRedshiftProfile,
};

export const connectorRegistry: Map<string, ConnectorDescriptor> = new Map(
  [s3Descriptor, redshiftDescriptor].map((d) => [d.connectorType, d]),
);

export function getConnector(connectorType: string): ConnectorDescriptor | undefined {
  return connectorRegistry.get(connectorType);
}

const descriptions: Record<string, string> = {
  S3: "Amazon S3 compatible object storage (CSV, JSON Lines and Parquet)",
  Redshift: "Amazon Redshift (or PostgreSQL) over the PostgreSQL protocol, loaded with COPY",
};

/** The AppFlow ConnectorConfiguration of a descriptor: only members that hold for Sluice. */
export function toConnectorConfiguration(d: ConnectorDescriptor): Record<string, unknown> {
  const destinations = [...connectorRegistry.values()]
    .filter((c) => c.canDestination)
    .map((c) => c.connectorType);
  const config: Record<string, unknown> = {
    connectorType: d.connectorType,
    connectorDescription: descriptions[d.connectorType],
    canUseAsSource: d.canSource,
    canUseAsDestination: d.canDestination,
    supportedDestinationConnectors: d.canSource ? destinations : [],
    supportedTriggerTypes: d.supportedTriggerTypes,
    isPrivateLinkEnabled: false,
    isPrivateLinkEndpointUrlRequired: false,
    connectorMetadata: { [d.connectorType]: {} },
    supportedDataTransferTypes: ["RECORD"],
  };
  if (d.canSource && d.supportedTriggerTypes.includes("Scheduled")) {
    // rate() and cron() schedules: every frequency but ONCE.
    config.supportedSchedulingFrequencies = ["BYMINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"];
  }
  if (d.supportedOperators.length > 0) config.supportedOperators = d.supportedOperators;
  if (d.supportedWriteOperations.length > 0) config.supportedWriteOperations = d.supportedWriteOperations;
  if (d.requiresProfile) {
    config.authenticationConfig = {
      isBasicAuthSupported: true,
      isApiKeyAuthSupported: false,
      isOAuth2Supported: false,
      isCustomAuthSupported: false,
    };
  }
  return config;
}

/**
 * A connector's AppFlow ConnectorConfiguration (DescribeConnectors / DescribeConnector), derived from
 * its declaration: only members that hold for Sluice.
 */
import type { ConnectorDefinition } from "./definition.ts";

/** rate() and cron() schedules: every frequency but ONCE. */
export const SCHEDULE_FREQUENCIES = ["BYMINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"];

export function toConnectorConfiguration(
  d: ConnectorDefinition,
  all: readonly ConnectorDefinition[],
): Record<string, unknown> {
  const triggers = d.source?.triggerTypes ?? ["OnDemand", "Scheduled"];
  const config: Record<string, unknown> = {
    connectorType: d.connectorType,
    connectorDescription: d.description,
    canUseAsSource: d.source !== undefined,
    canUseAsDestination: d.destination !== undefined,
    supportedDestinationConnectors: d.source
      ? all.filter((c) => c.destination).map((c) => c.connectorType)
      : [],
    supportedTriggerTypes: triggers,
    isPrivateLinkEnabled: false,
    isPrivateLinkEndpointUrlRequired: false,
    connectorMetadata: { [d.member ?? d.connectorType]: {} },
    supportedDataTransferTypes: ["RECORD"],
  };
  if (d.source && triggers.includes("Scheduled")) {
    config.supportedSchedulingFrequencies = d.source.schedulingFrequencies ?? SCHEDULE_FREQUENCIES;
  }
  if (d.source) config.supportedOperators = [...d.source.operators];
  if (d.destination && d.destination.writeOperations.length > 0)
    config.supportedWriteOperations = d.destination.writeOperations;
  if (d.profile) {
    const kinds = d.profile.authKinds;
    config.authenticationConfig = {
      isBasicAuthSupported: kinds.includes("Basic"),
      isApiKeyAuthSupported: kinds.includes("ApiKey"),
      isOAuth2Supported: kinds.includes("OAuth2"),
      isCustomAuthSupported: kinds.includes("Custom"),
      ...(d.profile.oAuth2Defaults ? { oAuth2Defaults: d.profile.oAuth2Defaults } : {}),
    };
  }
  return config;
}

/**
 * The connectors Sluice implements: the one list. Everything else about connectors is derived from
 * their declarations (src/connectors/<name>/index.ts): request validation (api/shapes), DescribeConnector(s),
 * entity dispatch and flow checks. Adding a connector = adding its folder and one line here.
 */
import type { Setting } from "../config-setting.ts";
import { redshiftConnector } from "./redshift/index.ts";
import { s3Connector } from "./s3/index.ts";
import { salesforceConnector } from "./salesforce/index.ts";
import { toConnectorConfiguration as render } from "./sdk/configuration.ts";
import { type ConnectorDefinition, memberOf } from "./sdk/definition.ts";

export const connectors: readonly ConnectorDefinition[] = [
  s3Connector,
  redshiftConnector,
  salesforceConnector,
];

export const connectorRegistry: ReadonlyMap<string, ConnectorDefinition> = new Map(
  connectors.map((d) => [d.connectorType, d]),
);

export function getConnector(connectorType: string): ConnectorDefinition | undefined {
  return connectorRegistry.get(connectorType);
}

/** Connector types usable in one role, in registry order. */
export const sourceTypes = connectors.filter((c) => c.source).map((c) => c.connectorType);
export const destinationTypes = connectors.filter((c) => c.destination).map((c) => c.connectorType);
export const profileTypes = connectors.filter((c) => c.profile).map((c) => c.connectorType);

/** The model's member name for a connector type (they differ in spelling for a few connectors). */
export function memberFor(connectorType: string): string {
  const c = getConnector(connectorType);
  return c ? memberOf(c) : connectorType;
}

/** Every connector's settings, as config paths (`connectors.<type>.<name>`), for the config schema. */
export function connectorSettings(): Record<string, Setting> {
  const out: Record<string, Setting> = {};
  for (const c of connectors)
    for (const [name, s] of Object.entries(c.settings ?? {}))
      out[`connectors.${c.connectorType}.${name}`] = s;
  return out;
}

export function toConnectorConfiguration(d: ConnectorDefinition): Record<string, unknown> {
  return render(d, connectors);
}

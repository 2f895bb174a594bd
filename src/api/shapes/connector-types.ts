/**
 * AppFlow's connector type names, and which of them this server implements. The model's enum is
 * accepted first (so a typo gets "must be one of ..."), then anything valid but not implemented gets
 * a "not supported by this server" answer naming what is.
 */
import type { z } from "zod";
import { connectors, destinationTypes, profileTypes, sourceTypes } from "../../connectors/registry.ts";
import { memberOf } from "../../connectors/sdk/definition.ts";
import { enumOf, unsupportedMember } from "./common.ts";

export const connectorTypes = [
  "Salesforce",
  "Singular",
  "Slack",
  "Redshift",
  "S3",
  "Marketo",
  "Googleanalytics",
  "Zendesk",
  "Servicenow",
  "Datadog",
  "Trendmicro",
  "Snowflake",
  "Dynatrace",
  "Infornexus",
  "Amplitude",
  "Veeva",
  "EventBridge",
  "LookoutMetrics",
  "Upsolver",
  "Honeycode",
  "CustomerProfiles",
  "SAPOData",
  "CustomConnector",
  "Pardot",
] as const;
export type ConnectorType = (typeof connectorTypes)[number];

// What this server implements in each role: derived from the connector registry.
export const supportedSources: readonly string[] = sourceTypes;
export const supportedDestinations: readonly string[] = destinationTypes;
export const supportedProfileTypes: readonly string[] = profileTypes;

/** The implemented connectors' members of a per-connector structure, e.g. `{ S3: <S3 schema> }`. */
export function connectorMembers(
  part: (c: (typeof connectors)[number]) => (() => z.ZodTypeAny) | undefined,
): Record<string, z.ZodOptional<z.ZodTypeAny>> {
  const shape: Record<string, z.ZodOptional<z.ZodTypeAny>> = {};
  for (const c of connectors) {
    const factory = part(c);
    if (factory) shape[memberOf(c)] = factory().optional();
  }
  return shape;
}

/** Member names of the connectors that have `part` (which members are implemented there). */
export function implementedMembers(part: (c: (typeof connectors)[number]) => unknown): string[] {
  return connectors.filter((c) => part(c) !== undefined).map(memberOf);
}

export const connectorType = () => enumOf(connectorTypes);

/** ConnectorType restricted to what we implement in one role, e.g. "as a source". */
export function supportedConnectorType(supported: readonly string[], role: string) {
  const allowed = new Set(supported);
  return connectorType().superRefine((v, ctx) => {
    if (!allowed.has(v)) {
      ctx.addIssue({
        code: "custom",
        message: `connector type ${v} is not supported by this server ${role}; supported: ${supported.join(", ")}`,
      });
    }
  });
}

// Member names of the model's per-connector structures (they differ in spelling from ConnectorType,
// e.g. GoogleAnalytics vs Googleanalytics), so a known-but-unimplemented member is told apart from
// an unknown one, which is ignored like any unknown member.
export const sourcePropertyMembers = [
  "Amplitude",
  "Datadog",
  "Dynatrace",
  "GoogleAnalytics",
  "InforNexus",
  "Marketo",
  "S3",
  "Salesforce",
  "ServiceNow",
  "Singular",
  "Slack",
  "Trendmicro",
  "Veeva",
  "Zendesk",
  "SAPOData",
  "CustomConnector",
  "Pardot",
] as const;

export const destinationPropertyMembers = [
  "Redshift",
  "S3",
  "Salesforce",
  "Snowflake",
  "EventBridge",
  "LookoutMetrics",
  "Upsolver",
  "Honeycode",
  "CustomerProfiles",
  "Zendesk",
  "Marketo",
  "CustomConnector",
  "SAPOData",
] as const;

export const profileMembers = [
  "Amplitude",
  "Datadog",
  "Dynatrace",
  "GoogleAnalytics",
  "Honeycode",
  "InforNexus",
  "Marketo",
  "Redshift",
  "Salesforce",
  "ServiceNow",
  "Singular",
  "Slack",
  "Snowflake",
  "Trendmicro",
  "Veeva",
  "Zendesk",
  "SAPOData",
  "CustomConnector",
  "Pardot",
] as const;

/** ConnectorOperator has the same members as the source properties: one per source connector. */
export const operatorMembers = sourcePropertyMembers;

/**
 * `{ Salesforce: absent-only, ... }` for every listed member not in `implemented`. Typed as no members:
 * they can only ever be absent in a parsed value.
 */
export function unsupportedMembers(
  all: readonly string[],
  implemented: readonly string[],
  what: (member: string) => string,
): Record<never, never> {
  const shape: Record<string, ReturnType<typeof unsupportedMember>> = {};
  for (const m of all) {
    if (!implemented.includes(m)) {
      shape[m] = unsupportedMember(`${what(m)}; supported: ${implemented.join(", ")}`);
    }
  }
  return shape;
}

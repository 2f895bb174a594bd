/**
 * Connector profiles, for the connectors that declare one (S3 takes none in AppFlow). The members of
 * connectorProfileProperties / connectorProfileCredentials come from the connector registry; a profile
 * must hold the member of its own connector type.
 */
import { z } from "zod";
import { memberFor } from "../../connectors/registry.ts";
import { bool, enumOf, list, struct } from "./common.ts";
import {
  connectorMembers,
  connectorType,
  implementedMembers,
  profileMembers,
  supportedConnectorType,
  supportedProfileTypes,
  unsupportedMembers,
} from "./connector-types.ts";
import {
  clientToken,
  connectorLabel,
  connectorProfileName,
  kmsArn,
  maxResults,
  nextToken,
} from "./members.ts";

const notSupported = (m: string) => `connector profiles of type ${m} are not supported by this server`;

const implemented = () => implementedMembers((c) => c.profile);

const connectorProfileConfig = () =>
  struct({
    connectorProfileProperties: struct({
      ...unsupportedMembers(profileMembers, implemented(), notSupported),
      ...connectorMembers((c) => c.profile?.properties),
    }),
    connectorProfileCredentials: struct({
      ...unsupportedMembers(profileMembers, implemented(), notSupported),
      ...connectorMembers((c) => c.profile?.credentials),
    }).optional(),
  });

/** A profile's properties must hold the member of its connector type. */
export function requireProfileMember(
  ctx: z.RefinementCtx,
  type: string,
  config: { connectorProfileProperties: Record<string, unknown> },
) {
  const member = memberFor(type);
  if (config.connectorProfileProperties[member] === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["connectorProfileConfig", "connectorProfileProperties", member],
      message: `is required for a ${type} connector profile`,
    });
  }
}

/**
 * UpdateConnectorProfile doesn't name the type: with one profile connector it is known here; with
 * several, the handler checks the member of the stored profile's type.
 */
function requireSomeProfileMember(
  ctx: z.RefinementCtx,
  config: { connectorProfileProperties: Record<string, unknown> },
) {
  const types = supportedProfileTypes;
  if (types.length === 1) return requireProfileMember(ctx, types[0]!, config);
  if (!types.some((t) => config.connectorProfileProperties[memberFor(t)] !== undefined)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["connectorProfileConfig", "connectorProfileProperties"],
      message: `must hold the member of the profile's connector type (one of ${types.join(", ")})`,
    });
  }
}

const connectionMode = () => enumOf(["Public", "Private"]);

export const createConnectorProfileInput = () =>
  struct({
    connectorProfileName: connectorProfileName(),
    kmsArn: kmsArn().optional(),
    connectorType: supportedConnectorType(supportedProfileTypes, "for connector profiles"),
    connectorLabel: connectorLabel().optional(),
    connectionMode: connectionMode(),
    connectorProfileConfig: connectorProfileConfig(),
    clientToken: clientToken().optional(),
  }).superRefine((v, ctx) => {
    // Only when the type is ours: otherwise the connectorType member has already said what is wrong.
    if (supportedProfileTypes.includes(v.connectorType))
      requireProfileMember(ctx, v.connectorType, v.connectorProfileConfig);
  });

export const updateConnectorProfileInput = () =>
  struct({
    connectorProfileName: connectorProfileName(),
    connectionMode: connectionMode(),
    connectorProfileConfig: connectorProfileConfig(),
    clientToken: clientToken().optional(),
  }).superRefine((v, ctx) => requireSomeProfileMember(ctx, v.connectorProfileConfig));

export const deleteConnectorProfileInput = () =>
  struct({ connectorProfileName: connectorProfileName(), forceDelete: bool().optional() });

export const describeConnectorProfilesInput = () =>
  struct({
    connectorProfileNames: list(connectorProfileName(), { min: 0, max: 100 }).optional(),
    connectorType: connectorType().optional(),
    connectorLabel: connectorLabel().optional(),
    maxResults: maxResults().optional(),
    nextToken: nextToken().optional(),
  });

export type CreateConnectorProfileInput = z.output<ReturnType<typeof createConnectorProfileInput>>;
export type UpdateConnectorProfileInput = z.output<ReturnType<typeof updateConnectorProfileInput>>;
export type DeleteConnectorProfileInput = z.output<ReturnType<typeof deleteConnectorProfileInput>>;
export type DescribeConnectorProfilesInput = z.output<ReturnType<typeof describeConnectorProfilesInput>>;

/**
 * Connector profiles. Only Redshift needs one among our connectors (S3 takes none in AppFlow), so
 * CreateConnectorProfile accepts connectorType Redshift only, and every profile holds the Redshift member.
 */
import { z } from "zod";
import { bool, enumOf, list, struct } from "./common.ts";
import {
  connectorType,
  profileMembers,
  supportedConnectorType,
  supportedProfileTypes,
  unsupportedMembers,
} from "./connector-types.ts";
import { redshiftProfileCredentials, redshiftProfileProperties } from "./connectors-redshift.ts";
import {
  clientToken,
  connectorLabel,
  connectorProfileName,
  kmsArn,
  maxResults,
  nextToken,
} from "./members.ts";

const notSupported = (m: string) => `connector profiles of type ${m} are not supported by this server`;

const connectorProfileConfig = () =>
  struct({
    connectorProfileProperties: struct({
      ...unsupportedMembers(profileMembers, supportedProfileTypes, notSupported),
      Redshift: redshiftProfileProperties().optional(),
    }),
    connectorProfileCredentials: struct({
      ...unsupportedMembers(profileMembers, supportedProfileTypes, notSupported),
      Redshift: redshiftProfileCredentials().optional(),
    }).optional(),
  });

/** Every profile here is a Redshift profile, so its properties must hold the Redshift member. */
function requireRedshift(
  ctx: z.RefinementCtx,
  config: { connectorProfileProperties: { Redshift?: unknown } },
) {
  if (config.connectorProfileProperties.Redshift === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["connectorProfileConfig", "connectorProfileProperties", "Redshift"],
      message: "is required for a Redshift connector profile",
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
    if (v.connectorType === "Redshift") requireRedshift(ctx, v.connectorProfileConfig);
  });

export const updateConnectorProfileInput = () =>
  struct({
    connectorProfileName: connectorProfileName(),
    connectionMode: connectionMode(),
    connectorProfileConfig: connectorProfileConfig(),
    clientToken: clientToken().optional(),
  }).superRefine((v, ctx) => requireRedshift(ctx, v.connectorProfileConfig));

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

/**
 * SourceFlowConfig and DestinationFlowConfig: the connector type must be one this server implements in
 * that role, and the connector properties must hold exactly the member for that type.
 */
import { z } from "zod";
import { str, struct } from "./common.ts";
import {
  destinationPropertyMembers,
  sourcePropertyMembers,
  supportedConnectorType,
  supportedDestinations,
  supportedSources,
  unsupportedMembers,
} from "./connector-types.ts";
import { redshiftDestinationProperties } from "./connectors-redshift.ts";
import { s3DestinationProperties, s3SourceProperties } from "./connectors-s3.ts";
import { apiVersion, connectorProfileName } from "./members.ts";

/** Reports the member for `type` missing, and any other implemented member given alongside it. */
function checkMembers(
  ctx: z.RefinementCtx,
  at: string,
  type: string,
  implemented: readonly string[],
  props: Record<string, unknown>,
): void {
  if (!implemented.includes(type)) return; // the connectorType member already reported it
  if (props[type] === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [at, type],
      message: `is required when connectorType is ${type}`,
    });
  }
  for (const other of implemented) {
    if (other !== type && props[other] !== undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [at, other],
        message: `must not be given when connectorType is ${type}`,
      });
    }
  }
}

export const sourceFlowConfig = () =>
  struct({
    connectorType: supportedConnectorType(supportedSources, "as a source"),
    apiVersion: apiVersion().optional(),
    connectorProfileName: connectorProfileName().optional(),
    sourceConnectorProperties: struct({
      ...unsupportedMembers(
        sourcePropertyMembers,
        supportedSources,
        (m) => `connector type ${m} is not supported by this server as a source`,
      ),
      S3: s3SourceProperties().optional(),
    }),
    incrementalPullConfig: struct({
      datetimeTypeFieldName: str({ max: 256, pattern: ".*" }).optional(),
    }).optional(),
  }).superRefine((v, ctx) =>
    checkMembers(
      ctx,
      "sourceConnectorProperties",
      v.connectorType,
      supportedSources,
      v.sourceConnectorProperties,
    ),
  );

export const destinationFlowConfig = () =>
  struct({
    connectorType: supportedConnectorType(supportedDestinations, "as a destination"),
    apiVersion: apiVersion().optional(),
    connectorProfileName: connectorProfileName().optional(),
    destinationConnectorProperties: struct({
      ...unsupportedMembers(
        destinationPropertyMembers,
        supportedDestinations,
        (m) => `connector type ${m} is not supported by this server as a destination`,
      ),
      Redshift: redshiftDestinationProperties().optional(),
      S3: s3DestinationProperties().optional(),
    }),
  }).superRefine((v, ctx) =>
    checkMembers(
      ctx,
      "destinationConnectorProperties",
      v.connectorType,
      supportedDestinations,
      v.destinationConnectorProperties,
    ),
  );

export type SourceFlowConfigInput = z.output<ReturnType<typeof sourceFlowConfig>>;
export type DestinationFlowConfigInput = z.output<ReturnType<typeof destinationFlowConfig>>;

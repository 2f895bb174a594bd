/**
 * SourceFlowConfig and DestinationFlowConfig: the connector type must be one this server implements in
 * that role, and the connector properties must hold exactly the member for that type. The members and
 * their schemas come from the connector registry (each connector folder declares its own).
 */
import { z } from "zod";
import { memberFor } from "../../connectors/registry.ts";
import { str, struct } from "./common.ts";
import {
  connectorMembers,
  destinationPropertyMembers,
  implementedMembers,
  sourcePropertyMembers,
  supportedConnectorType,
  supportedDestinations,
  supportedSources,
  unsupportedMembers,
} from "./connector-types.ts";
import { apiVersion, connectorProfileName } from "./members.ts";

/** Reports the member for `type` missing, and any other implemented member given alongside it. */
function checkMembers(
  ctx: z.RefinementCtx,
  at: string,
  type: string,
  implementedTypes: readonly string[],
  props: Record<string, unknown>,
): void {
  if (!implementedTypes.includes(type)) return; // the connectorType member already reported it
  const member = memberFor(type);
  if (props[member] === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [at, member],
      message: `is required when connectorType is ${type}`,
    });
  }
  for (const other of implementedTypes.map(memberFor)) {
    if (other !== member && props[other] !== undefined) {
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
        implementedMembers((c) => c.source),
        (m) => `connector type ${m} is not supported by this server as a source`,
      ),
      ...connectorMembers((c) => c.source?.properties),
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
        implementedMembers((c) => c.destination),
        (m) => `connector type ${m} is not supported by this server as a destination`,
      ),
      ...connectorMembers((c) => c.destination?.properties),
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

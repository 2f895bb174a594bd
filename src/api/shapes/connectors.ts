/**
 * Connector catalogue and entity operations, and custom-connector registration. The registration
 * operations are validated like any other even though the handlers answer that they aren't supported.
 */
import type { z } from "zod";
import { bool, enumOf, int, list, struct } from "./common.ts";
import { connectorType } from "./connector-types.ts";
import {
  apiVersion,
  arn,
  clientToken,
  connectorDescription,
  connectorLabel,
  connectorProfileName,
  entitiesPath,
  entityName,
  maxResults,
  nextToken,
} from "./members.ts";

export const describeConnectorInput = () =>
  struct({ connectorType: connectorType(), connectorLabel: connectorLabel().optional() });

export const describeConnectorsInput = () =>
  struct({
    connectorTypes: list(connectorType(), { min: 0, max: 100 }).optional(),
    maxResults: maxResults().optional(),
    nextToken: nextToken().optional(),
  });

export const listConnectorsInput = () =>
  struct({ maxResults: maxResults().optional(), nextToken: nextToken().optional() });

export const listConnectorEntitiesInput = () =>
  struct({
    connectorProfileName: connectorProfileName().optional(),
    connectorType: connectorType().optional(),
    entitiesPath: entitiesPath().optional(),
    apiVersion: apiVersion().optional(),
    maxResults: int({ min: 1, max: 10000 }).optional(),
    nextToken: nextToken().optional(),
  });

export const describeConnectorEntityInput = () =>
  struct({
    connectorEntityName: entityName(),
    connectorType: connectorType().optional(),
    connectorProfileName: connectorProfileName().optional(),
    apiVersion: apiVersion().optional(),
  });

const connectorProvisioningConfig = () => struct({ lambda: struct({ lambdaArn: arn() }).optional() });

export const registerConnectorInput = () =>
  struct({
    connectorLabel: connectorLabel().optional(),
    description: connectorDescription().optional(),
    connectorProvisioningType: enumOf(["LAMBDA"]).optional(),
    connectorProvisioningConfig: connectorProvisioningConfig().optional(),
    clientToken: clientToken().optional(),
  });

export const unregisterConnectorInput = () =>
  struct({ connectorLabel: connectorLabel(), forceDelete: bool().optional() });

export const updateConnectorRegistrationInput = () =>
  struct({
    connectorLabel: connectorLabel(),
    description: connectorDescription().optional(),
    connectorProvisioningConfig: connectorProvisioningConfig().optional(),
    clientToken: clientToken().optional(),
  });

export const resetConnectorMetadataCacheInput = () =>
  struct({
    connectorProfileName: connectorProfileName().optional(),
    connectorType: connectorType().optional(),
    connectorEntityName: entityName().optional(),
    entitiesPath: entitiesPath().optional(),
    apiVersion: apiVersion().optional(),
  });

export type DescribeConnectorInput = z.output<ReturnType<typeof describeConnectorInput>>;
export type DescribeConnectorsInput = z.output<ReturnType<typeof describeConnectorsInput>>;
export type ListConnectorsInput = z.output<ReturnType<typeof listConnectorsInput>>;
export type ListConnectorEntitiesInput = z.output<ReturnType<typeof listConnectorEntitiesInput>>;
export type DescribeConnectorEntityInput = z.output<ReturnType<typeof describeConnectorEntityInput>>;
export type RegisterConnectorInput = z.output<ReturnType<typeof registerConnectorInput>>;
export type UnregisterConnectorInput = z.output<ReturnType<typeof unregisterConnectorInput>>;
export type UpdateConnectorRegistrationInput = z.output<ReturnType<typeof updateConnectorRegistrationInput>>;
export type ResetConnectorMetadataCacheInput = z.output<ReturnType<typeof resetConnectorMetadataCacheInput>>;

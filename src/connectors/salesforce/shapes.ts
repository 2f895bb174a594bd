/** Salesforce's request shapes, as AppFlow's model has them (SalesforceConnectorProfile*, Salesforce*Properties). */
import type { z } from "zod";
import { bool, enumOf, list, str, struct } from "../../api/shapes/common.ts";
import { bucketName, bucketPrefix } from "../../api/shapes/members.ts";

const object = () => str({ max: 512, pattern: "\\S+" });
const dataTransferApi = () => enumOf(["AUTOMATIC", "BULKV2", "REST_SYNC"] as const);

export const salesforceProfileProperties = () =>
  struct({
    instanceUrl: str({ max: 256, pattern: "\\S+" }).optional(),
    isSandboxEnvironment: bool().optional(),
    usePrivateLinkForMetadataAndAuthorization: bool().optional(),
  });

export const salesforceProfileCredentials = () =>
  struct({
    accessToken: str({ max: 4096, pattern: "\\S+" }).optional(),
    refreshToken: str({ max: 4096, pattern: "\\S+" }).optional(),
    oAuthRequest: struct({
      authCode: str({ max: 4096, pattern: "\\S+" }).optional(),
      redirectUri: str({ max: 512, pattern: "\\S+" }).optional(),
    }).optional(),
    clientCredentialsArn: str({
      min: 20,
      max: 2048,
      pattern: "arn:aws:secretsmanager:.*:[0-9]+:.*",
    }).optional(),
    oAuth2GrantType: enumOf(["CLIENT_CREDENTIALS", "AUTHORIZATION_CODE", "JWT_BEARER"] as const).optional(),
    jwtToken: str({
      max: 8000,
      pattern: "^([a-zA-Z0-9_=]+)\\.([a-zA-Z0-9_=]+)\\.([a-zA-Z0-9_\\-\\+\\/=]*)",
    }).optional(),
  });

export const salesforceSourceProperties = () =>
  struct({
    object: object(),
    enableDynamicFieldUpdate: bool().optional(),
    includeDeletedRecords: bool().optional(),
    dataTransferApi: dataTransferApi().optional(),
  });

export const salesforceDestinationProperties = () =>
  struct({
    object: object(),
    idFieldNames: list(str({ max: 128, pattern: "\\S+" })).optional(),
    errorHandlingConfig: struct({
      failOnFirstDestinationError: bool().optional(),
      bucketPrefix: bucketPrefix().optional(),
      bucketName: bucketName().optional(),
    }).optional(),
    writeOperationType: enumOf(["INSERT", "UPSERT", "UPDATE", "DELETE"] as const).optional(),
    dataTransferApi: dataTransferApi().optional(),
  });

export type SalesforceProfileProperties = z.output<ReturnType<typeof salesforceProfileProperties>>;
export type SalesforceSourceProperties = z.output<ReturnType<typeof salesforceSourceProperties>>;
export type SalesforceDestinationProperties = z.output<ReturnType<typeof salesforceDestinationProperties>>;

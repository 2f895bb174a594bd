/** One valid request per AppFlow operation, written by hand; tests mutate copies of them. */
import assert from "node:assert/strict";
import type { OperationName } from "../../src/api/protocol/operations.ts";
import { parseInput } from "../../src/api/shapes/index.ts";
import { ValidationError } from "../../src/domain/errors.ts";

export const ARN = "arn:aws:appflow:us-east-1:123456789012:flow/orders";

export function s3ToS3Flow(): Record<string, unknown> {
  return {
    flowName: "orders-copy",
    description: "copy orders, daily.",
    kmsArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
    triggerConfig: {
      triggerType: "Scheduled",
      triggerProperties: {
        Scheduled: {
          scheduleExpression: "rate(1hours)",
          dataPullMode: "Incremental",
          scheduleStartTime: 1_700_000_000,
          scheduleEndTime: 1_800_000_000,
          timezone: "UTC",
          scheduleOffset: 60,
          firstExecutionFrom: 1_690_000_000,
          flowErrorDeactivationThreshold: 5,
        },
      },
    },
    sourceFlowConfig: {
      connectorType: "S3",
      apiVersion: "v1",
      sourceConnectorProperties: {
        S3: { bucketName: "src-bucket", bucketPrefix: "in", s3InputFormatConfig: { s3InputFileType: "CSV" } },
      },
      incrementalPullConfig: { datetimeTypeFieldName: "created" },
    },
    destinationFlowConfigList: [
      {
        connectorType: "S3",
        destinationConnectorProperties: {
          S3: {
            bucketName: "dst-bucket",
            bucketPrefix: "out",
            s3OutputFormatConfig: {
              fileType: "PARQUET",
              prefixConfig: {
                prefixType: "PATH",
                prefixFormat: "DAY",
                pathPrefixHierarchy: ["EXECUTION_ID"],
              },
              aggregationConfig: { aggregationType: "SingleFile", targetFileSize: 128 },
              preserveSourceDataTyping: true,
            },
          },
        },
      },
    ],
    tasks: [
      { sourceFields: ["id", "amount"], connectorOperator: { S3: "PROJECTION" }, taskType: "Filter" },
      {
        sourceFields: ["amount"],
        connectorOperator: { S3: "NO_OP" },
        destinationField: "amount",
        taskType: "Map",
        taskProperties: { SOURCE_DATA_TYPE: "string", DESTINATION_DATA_TYPE: "string" },
      },
    ],
    tags: { team: "data", "cost-center": "42" },
    metadataCatalogConfig: {
      glueDataCatalog: {
        roleArn: "arn:aws:iam::123456789012:role/glue",
        databaseName: "db",
        tablePrefix: "t_",
      },
    },
    clientToken: "token-1",
  };
}

export function redshiftDestination(): Record<string, unknown> {
  return {
    connectorType: "Redshift",
    connectorProfileName: "warehouse",
    destinationConnectorProperties: {
      Redshift: {
        object: "public.orders",
        intermediateBucketName: "tmp-bucket",
        bucketPrefix: "stage",
        errorHandlingConfig: {
          failOnFirstDestinationError: true,
          bucketName: "err-bucket",
          bucketPrefix: "e",
        },
      },
    },
  };
}

function profileConfig(): Record<string, unknown> {
  return {
    connectorProfileProperties: {
      Redshift: {
        databaseUrl: "jdbc:redshift://localhost:5439/dev",
        bucketName: "tmp-bucket",
        bucketPrefix: "stage",
        roleArn: "arn:aws:iam::123456789012:role/rs",
        dataApiRoleArn: "arn:aws:iam::123456789012:role/data",
        isRedshiftServerless: false,
        clusterIdentifier: "cluster-1",
        workgroupName: "wg",
        databaseName: "dev",
      },
    },
    connectorProfileCredentials: { Redshift: { username: "postgres", password: "secret" } },
  };
}

const page = { maxResults: 10, nextToken: "abc" };
const provisioning = { lambda: { lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:f" } };

/** A fresh valid request for `op`, with every member the model knows filled in. */
export function validInput(op: OperationName): Record<string, unknown> {
  const b: Record<OperationName, () => Record<string, unknown>> = {
    CancelFlowExecutions: () => ({ flowName: "orders-copy", executionIds: ["e-1", "e-2"] }),
    CreateConnectorProfile: () => ({
      connectorProfileName: "warehouse",
      kmsArn: "arn:aws:kms:us-east-1:123456789012:key/abcd",
      connectorType: "Redshift",
      connectorLabel: "label1",
      connectionMode: "Public",
      connectorProfileConfig: profileConfig(),
      clientToken: "t1",
    }),
    CreateFlow: s3ToS3Flow,
    DeleteConnectorProfile: () => ({ connectorProfileName: "warehouse", forceDelete: true }),
    DeleteFlow: () => ({ flowName: "orders-copy", forceDelete: false }),
    DescribeConnector: () => ({ connectorType: "S3", connectorLabel: "label1" }),
    DescribeConnectorEntity: () => ({
      connectorEntityName: "bucket/prefix",
      connectorType: "S3",
      connectorProfileName: "warehouse",
      apiVersion: "v1",
    }),
    DescribeConnectorProfiles: () => ({
      connectorProfileNames: ["warehouse"],
      connectorType: "Redshift",
      connectorLabel: "label1",
      ...page,
    }),
    DescribeConnectors: () => ({ connectorTypes: ["S3", "Redshift"], ...page }),
    DescribeFlow: () => ({ flowName: "orders-copy" }),
    DescribeFlowExecutionRecords: () => ({ flowName: "orders-copy", ...page }),
    ListConnectorEntities: () => ({
      connectorProfileName: "warehouse",
      connectorType: "Redshift",
      entitiesPath: "public",
      apiVersion: "v1",
      maxResults: 1000,
      nextToken: "abc",
    }),
    ListConnectors: () => ({ ...page }),
    ListFlows: () => ({ ...page }),
    ListTagsForResource: () => ({ resourceArn: ARN }),
    RegisterConnector: () => ({
      connectorLabel: "label1",
      description: "my connector",
      connectorProvisioningType: "LAMBDA",
      connectorProvisioningConfig: provisioning,
      clientToken: "t1",
    }),
    ResetConnectorMetadataCache: () => ({
      connectorProfileName: "warehouse",
      connectorType: "Redshift",
      connectorEntityName: "public.orders",
      entitiesPath: "public",
      apiVersion: "v1",
    }),
    StartFlow: () => ({ flowName: "orders-copy", clientToken: "t1" }),
    StopFlow: () => ({ flowName: "orders-copy" }),
    TagResource: () => ({ resourceArn: ARN, tags: { team: "data" } }),
    UnregisterConnector: () => ({ connectorLabel: "label1", forceDelete: true }),
    UntagResource: () => ({ resourceArn: ARN, tagKeys: ["team"] }),
    UpdateConnectorProfile: () => ({
      connectorProfileName: "warehouse",
      connectionMode: "Private",
      connectorProfileConfig: profileConfig(),
      clientToken: "t1",
    }),
    UpdateConnectorRegistration: () => ({
      connectorLabel: "label1",
      description: "my connector",
      connectorProvisioningConfig: provisioning,
      clientToken: "t1",
    }),
    UpdateFlow: () => {
      const f = s3ToS3Flow();
      delete f.kmsArn;
      delete f.tags;
      return f;
    },
  };
  return b[op]();
}

export type Json = Record<string, unknown>;

/** Asserts that parsing fails with a ValidationError whose message matches `msg`. */
export function rejects(op: Parameters<typeof parseInput>[0], body: unknown, msg: RegExp | string): void {
  assert.throws(
    () => parseInput(op, body),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
      if (typeof msg === "string") assert.equal(e.message, msg);
      else assert.match(e.message, msg);
      return true;
    },
  );
}

export function flow(edit: (f: Json) => void): Json {
  const f = s3ToS3Flow();
  edit(f);
  return f;
}
export const at = (o: unknown, ...path: (string | number)[]): Json =>
  path.reduce<Json>((x, p) => (x as Record<string | number, unknown>)[p] as Json, o as Json);

/**
 * The flow definition as Sluice stores and runs it: the AppFlow request members, already validated
 * by api/shapes. Only the connector types Sluice implements appear here.
 */
export type ExecutionStatus = "InProgress" | "Successful" | "Error" | "CancelStarted" | "Canceled";
export type FlowStatus = "Active" | "Deprecated" | "Deleted" | "Draft" | "Errored" | "Suspended";
export type TriggerType = "Scheduled" | "Event" | "OnDemand";

export interface Task {
  sourceFields: string[];
  /** One member naming the source connector type, e.g. `{ S3: "PROJECTION" }`. */
  connectorOperator?: Record<string, string>;
  destinationField?: string;
  taskType:
    | "Arithmetic"
    | "Filter"
    | "Map"
    | "Map_all"
    | "Mask"
    | "Merge"
    | "Passthrough"
    | "Truncate"
    | "Validate"
    | "Partition";
  taskProperties?: Record<string, string>;
}

export interface S3SourceProperties {
  bucketName: string;
  bucketPrefix?: string;
  s3InputFormatConfig?: { s3InputFileType?: "CSV" | "JSON" };
}

export interface S3DestinationProperties {
  bucketName: string;
  bucketPrefix?: string;
  s3OutputFormatConfig?: {
    fileType?: "CSV" | "JSON" | "PARQUET";
    prefixConfig?: {
      prefixType?: "FILENAME" | "PATH" | "PATH_AND_FILENAME";
      prefixFormat?: "YEAR" | "MONTH" | "DAY" | "HOUR" | "MINUTE";
      pathPrefixHierarchy?: ("EXECUTION_ID" | "SCHEMA_VERSION")[];
    };
    aggregationConfig?: { aggregationType?: "None" | "SingleFile"; targetFileSize?: number };
    preserveSourceDataTyping?: boolean;
  };
}

export interface ErrorHandlingConfig {
  failOnFirstDestinationError?: boolean;
  bucketPrefix?: string;
  bucketName?: string;
}

export interface RedshiftDestinationProperties {
  object: string;
  intermediateBucketName: string;
  bucketPrefix?: string;
  errorHandlingConfig?: ErrorHandlingConfig;
}

export interface SourceFlowConfig {
  connectorType: string;
  apiVersion?: string;
  connectorProfileName?: string;
  sourceConnectorProperties: { S3?: S3SourceProperties } & Record<string, unknown>;
  incrementalPullConfig?: { datetimeTypeFieldName?: string };
}

export interface DestinationFlowConfig {
  connectorType: string;
  apiVersion?: string;
  connectorProfileName?: string;
  destinationConnectorProperties: {
    S3?: S3DestinationProperties;
    Redshift?: RedshiftDestinationProperties;
  } & Record<string, unknown>;
}

export interface TriggerConfig {
  triggerType: TriggerType;
  triggerProperties?: {
    Scheduled?: {
      scheduleExpression: string;
      dataPullMode?: "Incremental" | "Complete";
      scheduleStartTime?: number;
      scheduleEndTime?: number;
      timezone?: string;
      scheduleOffset?: number;
      firstExecutionFrom?: number;
      flowErrorDeactivationThreshold?: number;
    };
  };
}

/** The parts of a flow that a run needs. */
export interface FlowDefinition {
  flowName: string;
  flowArn: string;
  accountId: string;
  region: string;
  description?: string;
  triggerConfig: TriggerConfig;
  sourceFlowConfig: SourceFlowConfig;
  destinationFlowConfigList: DestinationFlowConfig[];
  tasks: Task[];
  schemaVersion: number;
  /** Incremental scheduled runs: the time window of source data this run pulls (epoch ms). */
  dataPullWindow?: { start?: number; end: number };
}

/**
 * The flow definition as Sluice stores and runs it: the AppFlow request members, already validated
 * by api/shapes. Connector-specific members belong to their connector folders (src/connectors/<name>).
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

export interface SourceFlowConfig {
  connectorType: string;
  apiVersion?: string;
  connectorProfileName?: string;
  /** One member, named after the connector type; its connector folder's schema validated it. */
  sourceConnectorProperties: Record<string, unknown>;
  incrementalPullConfig?: { datetimeTypeFieldName?: string };
}

export interface DestinationFlowConfig {
  connectorType: string;
  apiVersion?: string;
  connectorProfileName?: string;
  /** One member, named after the connector type; its connector folder's schema validated it. */
  destinationConnectorProperties: Record<string, unknown>;
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

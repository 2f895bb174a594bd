/** Flow rows and run rows as AppFlow's response shapes. */
import { parseFlowArn } from "../../domain/arn.ts";
import type { FlowDefinition } from "../../domain/flow.ts";
import type { FlowRow } from "../../store/flows-sql.ts";
import type { LastRunRow } from "../../store/runs/list-runs.ts";
import { epochSeconds } from "../protocol/serialize.ts";
import type { FlowParts } from "./flow-checks.ts";

export interface StoredDefinition extends FlowParts {
  description?: string;
  kmsArn?: string;
  metadataCatalogConfig?: unknown;
}

export function definitionOf(row: FlowRow): StoredDefinition {
  return JSON.parse(row.definition) as StoredDefinition;
}

/** The flow as a run sees it: a later UpdateFlow doesn't change a run already triggered. */
export function flowSnapshot(row: FlowRow, window?: FlowDefinition["dataPullWindow"]): FlowDefinition {
  const def = definitionOf(row);
  return {
    flowName: row.flow_name,
    flowArn: row.flow_arn,
    accountId: row.account_id,
    region: parseFlowArn(row.flow_arn).region,
    description: def.description,
    triggerConfig: def.triggerConfig,
    sourceFlowConfig: def.sourceFlowConfig,
    destinationFlowConfigList: def.destinationFlowConfigList,
    tasks: def.tasks,
    schemaVersion: row.schema_version,
    ...(window ? { dataPullWindow: window } : {}),
  };
}

export function lastRunDetails(run: LastRunRow | undefined) {
  if (!run) return undefined;
  return {
    mostRecentExecutionMessage: run.error_message ?? undefined,
    mostRecentExecutionTime: epochSeconds(run.updated_at),
    mostRecentExecutionStatus: run.status,
  };
}

export function flowDescription(row: FlowRow, tags: Record<string, string>, lastRun: LastRunRow | undefined) {
  const d = definitionOf(row);
  return {
    flowArn: row.flow_arn,
    description: d.description,
    flowName: row.flow_name,
    kmsArn: d.kmsArn,
    flowStatus: row.flow_status,
    flowStatusMessage: undefined,
    sourceFlowConfig: d.sourceFlowConfig,
    destinationFlowConfigList: d.destinationFlowConfigList,
    lastRunExecutionDetails: lastRunDetails(lastRun),
    triggerConfig: d.triggerConfig,
    tasks: d.tasks,
    createdAt: epochSeconds(row.created_at),
    lastUpdatedAt: epochSeconds(row.updated_at),
    createdBy: row.created_by,
    lastUpdatedBy: row.last_updated_by,
    tags,
    metadataCatalogConfig: d.metadataCatalogConfig,
    schemaVersion: row.schema_version,
  };
}

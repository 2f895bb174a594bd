/**
 * AppFlow's EventBridge run reports ("AppFlow Start Flow Run Report" / "AppFlow End Flow Run Report"),
 * built from a run row. Values are strings, as AppFlow sends them.
 */
import { randomUUID } from "node:crypto";
import type { RunsTable } from "../store/schema.ts";
import { parseFlowArn } from "./arn.ts";
import type { FlowDefinition } from "./flow.ts";

export type RunEventType = "AppFlow Start Flow Run Report" | "AppFlow End Flow Run Report";

const statusText: Record<string, string> = {
  Successful: "Execution Successful",
  Error: "Execution Failed",
  Canceled: "Execution Canceled",
  InProgress: "Execution Started",
};

export interface RunEvent {
  version: "0";
  id: string;
  "detail-type": RunEventType;
  source: "aws.appflow";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, string>;
}

export function buildRunEvent(run: RunsTable, type: RunEventType, now: number): RunEvent {
  const flow = JSON.parse(run.flow_snapshot) as FlowDefinition;
  const { region } = parseFlowArn(run.flow_arn);
  const iso = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());
  const detail: Record<string, string> = {
    "flow-name": run.flow_name,
    "flow-arn": run.flow_arn,
    "execution-id": run.execution_id,
    source: flow.sourceFlowConfig.connectorType,
    destination: flow.destinationFlowConfigList.map((d) => d.connectorType).join(","),
    "trigger-type": run.trigger_type.toUpperCase(),
    "start-time": iso(run.created_at),
  };
  if (type === "AppFlow End Flow Run Report") {
    Object.assign(detail, {
      "end-time": iso(run.ended_at ?? now),
      "num-of-records-processed": String(run.records_processed),
      "num-of-records-written": String(run.records_written),
      "num-of-records-filtered": String(run.records_dropped),
      "num-of-record-failures": String(run.put_failures),
      "data-processed": String(run.bytes_processed),
      "data-written": String(run.bytes_written),
      status: statusText[run.status] ?? run.status,
      error: run.error_message ?? "",
    });
  } else {
    detail.status = statusText.InProgress ?? "Execution Started";
  }
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": type,
    source: "aws.appflow",
    account: run.account_id,
    time: new Date(now).toISOString(),
    region,
    resources: [run.flow_arn],
    detail,
  };
}

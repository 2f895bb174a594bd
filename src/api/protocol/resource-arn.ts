/** The resource an operation acts on, for the caller's allow-list policy (as IAM scopes AppFlow actions). */
import type { Caller } from "../../app.ts";
import { connectorProfileArn, flowArn } from "../../domain/arn.ts";
import type { OperationName } from "./operations.ts";

const flowOps = new Set<OperationName>([
  "CreateFlow",
  "DescribeFlow",
  "UpdateFlow",
  "DeleteFlow",
  "StartFlow",
  "StopFlow",
  "DescribeFlowExecutionRecords",
  "CancelFlowExecutions",
]);
const profileOps = new Set<OperationName>([
  "CreateConnectorProfile",
  "UpdateConnectorProfile",
  "DeleteConnectorProfile",
]);

export function resourceArnFor(op: OperationName, input: unknown, caller: Caller): string {
  const i = input as { flowName?: string; connectorProfileName?: string; resourceArn?: string };
  if (flowOps.has(op) && i.flowName) return flowArn(caller.region, caller.accountId, i.flowName);
  if (profileOps.has(op) && i.connectorProfileName) {
    return connectorProfileArn(caller.region, caller.accountId, i.connectorProfileName);
  }
  if (i.resourceArn) return i.resourceArn;
  return `arn:aws:appflow:${caller.region}:${caller.accountId}:*`;
}

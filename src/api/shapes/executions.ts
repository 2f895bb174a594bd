/** CancelFlowExecutions and DescribeFlowExecutionRecords. */
import type { z } from "zod";
import { list, struct } from "./common.ts";
import { executionId, flowName, maxResults, nextToken } from "./members.ts";

// Leaving executionIds out means "cancel every run in progress"; [] cancels nothing, so it stays [].
export const cancelFlowExecutionsInput = () =>
  struct({ flowName: flowName(), executionIds: list(executionId(), { min: 0, max: 100 }).optional() });

export const describeFlowExecutionRecordsInput = () =>
  struct({ flowName: flowName(), maxResults: maxResults().optional(), nextToken: nextToken().optional() });

export type CancelFlowExecutionsInput = z.output<ReturnType<typeof cancelFlowExecutionsInput>>;
export type DescribeFlowExecutionRecordsInput = z.output<
  ReturnType<typeof describeFlowExecutionRecordsInput>
>;

/** CreateFlow, UpdateFlow and the flow operations that take only a flow name. */
import { z } from "zod";
import { bool, enumOf, int, list, long, str, struct, timestamp } from "./common.ts";
import { destinationFlowConfig, sourceFlowConfig } from "./flow-connectors.ts";
import {
  clientToken,
  flowDescription,
  flowName,
  iamRoleArn,
  kmsArn,
  maxResults,
  nextToken,
} from "./members.ts";
import { tagMap } from "./tags.ts";
import { task } from "./tasks.ts";

const scheduledTriggerProperties = () =>
  struct({
    scheduleExpression: str({ max: 256, pattern: ".*" }),
    dataPullMode: enumOf(["Incremental", "Complete"]).optional(),
    scheduleStartTime: timestamp().optional(),
    scheduleEndTime: timestamp().optional(),
    timezone: str({ max: 256, pattern: ".*" }).optional(),
    scheduleOffset: long({ min: 0, max: 36000 }).optional(),
    firstExecutionFrom: timestamp().optional(),
    flowErrorDeactivationThreshold: int({ min: 1, max: 100 }).optional(),
  });

export const triggerConfig = () =>
  struct({
    triggerType: enumOf(["Scheduled", "Event", "OnDemand"]),
    triggerProperties: struct({ Scheduled: scheduledTriggerProperties().optional() }).optional(),
  }).superRefine((v, ctx) => {
    // A schedule with no expression can never fire; AWS refuses it too.
    if (v.triggerType === "Scheduled" && v.triggerProperties?.Scheduled === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["triggerProperties", "Scheduled"],
        message: "is required when triggerType is Scheduled",
      });
    }
  });

// Glue's names allow any XML character; the model's surrogate-pair spelling needs the `u` flag in JS.
const GLUE_TEXT = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*";
const glueText = (max: number) =>
  str({ max, pattern: GLUE_TEXT, jsPattern: /^[\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}\t]*$/u });

const metadataCatalogConfig = () =>
  struct({
    glueDataCatalog: struct({
      roleArn: iamRoleArn(),
      databaseName: glueText(255),
      tablePrefix: glueText(128),
    }).optional(),
  });

const flowBody = {
  flowName: flowName(),
  description: flowDescription().optional(),
  triggerConfig: triggerConfig(),
  sourceFlowConfig: sourceFlowConfig(),
  destinationFlowConfigList: list(destinationFlowConfig()),
  tasks: list(task()),
  metadataCatalogConfig: metadataCatalogConfig().optional(),
  clientToken: clientToken().optional(),
};

export const createFlowInput = () =>
  struct({ ...flowBody, kmsArn: kmsArn().optional(), tags: tagMap().optional() });
export const updateFlowInput = () => struct(flowBody);
export const describeFlowInput = () => struct({ flowName: flowName() });
export const deleteFlowInput = () => struct({ flowName: flowName(), forceDelete: bool().optional() });
export const listFlowsInput = () =>
  struct({ maxResults: maxResults().optional(), nextToken: nextToken().optional() });
export const startFlowInput = () => struct({ flowName: flowName(), clientToken: clientToken().optional() });
export const stopFlowInput = () => struct({ flowName: flowName() });

export type TriggerConfigInput = z.output<ReturnType<typeof triggerConfig>>;
export type CreateFlowInput = z.output<ReturnType<typeof createFlowInput>>;
export type UpdateFlowInput = z.output<ReturnType<typeof updateFlowInput>>;
export type DescribeFlowInput = z.output<ReturnType<typeof describeFlowInput>>;
export type DeleteFlowInput = z.output<ReturnType<typeof deleteFlowInput>>;
export type ListFlowsInput = z.output<ReturnType<typeof listFlowsInput>>;
export type StartFlowInput = z.output<ReturnType<typeof startFlowInput>>;
export type StopFlowInput = z.output<ReturnType<typeof stopFlowInput>>;

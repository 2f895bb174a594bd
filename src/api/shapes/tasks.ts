/** Task: the field mappings, filters and validations of a flow, with the S3 connector's operators. */
import { z } from "zod";
import { connectors } from "../../connectors/registry.ts";
import { memberOf } from "../../connectors/sdk/definition.ts";
import { operatorPropertyKeys } from "../../tasks/operators.ts";
import { enumOf, list, str, stringMap, struct } from "./common.ts";
import { implementedMembers, operatorMembers, unsupportedMembers } from "./connector-types.ts";
import { text } from "./members.ts";

export const taskTypes = [
  "Arithmetic",
  "Filter",
  "Map",
  "Map_all",
  "Mask",
  "Merge",
  "Passthrough",
  "Truncate",
  "Validate",
  "Partition",
] as const;

/** Each source connector's operator enum, from its declaration. */
function sourceOperators(): Record<string, z.ZodOptional<z.ZodTypeAny>> {
  const shape: Record<string, z.ZodOptional<z.ZodTypeAny>> = {};
  for (const c of connectors) if (c.source) shape[memberOf(c)] = enumOf(c.source.operators).optional();
  return shape;
}

// One member, named after the source connector; other connectors' operators are refused.
const connectorOperator = () =>
  struct({
    ...unsupportedMembers(
      operatorMembers,
      implementedMembers((c) => c.source),
      (m) => `operators of connector type ${m} are not supported by this server`,
    ),
    ...sourceOperators(),
  }).superRefine((v, ctx) => {
    const given = Object.values(v).filter((x) => x !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must have exactly one member (e.g. S3)" });
    }
  });

export const task = () =>
  struct({
    sourceFields: list(text()),
    connectorOperator: connectorOperator().optional(),
    destinationField: str({ max: 256, pattern: ".*" }).optional(),
    taskType: enumOf(taskTypes),
    taskProperties: stringMap(enumOf(operatorPropertyKeys), str({ max: 2048, pattern: ".+" })).optional(),
  });

export type TaskInput = z.output<ReturnType<typeof task>>;

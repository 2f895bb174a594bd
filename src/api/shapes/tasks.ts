/** Task: the field mappings, filters and validations of a flow, with the S3 connector's operators. */
import { z } from "zod";
import { enumOf, list, str, stringMap, struct } from "./common.ts";
import { operatorMembers, supportedSources, unsupportedMembers } from "./connector-types.ts";
import { text } from "./members.ts";

const s3Operators = [
  "PROJECTION",
  "LESS_THAN",
  "GREATER_THAN",
  "BETWEEN",
  "LESS_THAN_OR_EQUAL_TO",
  "GREATER_THAN_OR_EQUAL_TO",
  "EQUAL_TO",
  "NOT_EQUAL_TO",
  "ADDITION",
  "MULTIPLICATION",
  "DIVISION",
  "SUBTRACTION",
  "MASK_ALL",
  "MASK_FIRST_N",
  "MASK_LAST_N",
  "VALIDATE_NON_NULL",
  "VALIDATE_NON_ZERO",
  "VALIDATE_NON_NEGATIVE",
  "VALIDATE_NUMERIC",
  "NO_OP",
] as const;

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

export const operatorPropertyKeys = [
  "VALUE",
  "VALUES",
  "DATA_TYPE",
  "UPPER_BOUND",
  "LOWER_BOUND",
  "SOURCE_DATA_TYPE",
  "DESTINATION_DATA_TYPE",
  "VALIDATION_ACTION",
  "MASK_VALUE",
  "MASK_LENGTH",
  "TRUNCATE_LENGTH",
  "MATH_OPERATION_FIELDS_ORDER",
  "CONCAT_FORMAT",
  "SUBFIELD_CATEGORY_MAP",
  "EXCLUDE_SOURCE_FIELDS_LIST",
  "INCLUDE_NEW_FIELDS",
  "ORDERED_PARTITION_KEYS_LIST",
] as const;

// One member, named after the source connector; ours is S3, so other connectors' operators are refused.
const connectorOperator = () =>
  struct({
    ...unsupportedMembers(
      operatorMembers,
      supportedSources,
      (m) => `operators of connector type ${m} are not supported by this server`,
    ),
    S3: enumOf(s3Operators).optional(),
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

/**
 * Which connector operators each AppFlow task type accepts, and the task property keys AppFlow
 * defines (OperatorPropertiesKeys). Used by compileTasks to reject bad task lists at
 * CreateFlow/UpdateFlow time, and by the connector registry to describe what Sluice runs.
 */
import type { Task } from "../domain/flow.ts";

export type TaskType = Task["taskType"];

export const filterComparisonOperators = [
  "LESS_THAN",
  "GREATER_THAN",
  "LESS_THAN_OR_EQUAL_TO",
  "GREATER_THAN_OR_EQUAL_TO",
  "EQUAL_TO",
  "NOT_EQUAL_TO",
  "BETWEEN",
  "CONTAINS",
] as const;
export type ComparisonOperator = (typeof filterComparisonOperators)[number];

export const arithmeticOperators = ["ADDITION", "SUBTRACTION", "MULTIPLICATION", "DIVISION"] as const;
export type ArithmeticOperator = (typeof arithmeticOperators)[number];

export const maskOperators = ["MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"] as const;
export type MaskOperator = (typeof maskOperators)[number];

export const validateOperators = [
  "VALIDATE_NON_NULL",
  "VALIDATE_NON_ZERO",
  "VALIDATE_NON_NEGATIVE",
  "VALIDATE_NUMERIC",
] as const;
export type ValidateOperator = (typeof validateOperators)[number];

/** The connector operators each task type accepts. NO_OP task types also accept no connectorOperator. */
export const operatorsByTaskType: Readonly<Record<TaskType, readonly string[]>> = {
  Filter: ["PROJECTION", ...filterComparisonOperators],
  Map: ["NO_OP"],
  Map_all: ["NO_OP"],
  Merge: ["NO_OP"],
  Passthrough: ["NO_OP"],
  Truncate: ["NO_OP"],
  Partition: ["NO_OP"],
  Arithmetic: arithmeticOperators,
  Mask: maskOperators,
  Validate: validateOperators,
};

/** Every operator some task type accepts (the union of operatorsByTaskType). */
export const allTaskOperators: readonly string[] = [...new Set(Object.values(operatorsByTaskType).flat())];

/** The AppFlow OperatorPropertiesKeys: the only keys a task's taskProperties may hold. */
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

export const taskPropertyKeys: ReadonlySet<string> = new Set(operatorPropertyKeys);

/**
 * VALIDATION_ACTION values. The console writes DropRecord / TerminateFlow; the AWS CDK AppFlow
 * constructs (cdklabs/cdk-appflow) write DropDataset for "terminate the flow", so it is accepted
 * as a synonym of TerminateFlow.
 */
export const validationActions = ["DropRecord", "TerminateFlow", "DropDataset"] as const;
export type ValidationAction = "DropRecord" | "TerminateFlow";

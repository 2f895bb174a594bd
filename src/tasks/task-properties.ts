/**
 * Reading and checking one task's members. Every failure is a ValidationError whose message
 * names the member path (`tasks[3].taskProperties.MASK_LENGTH`) and the rule it broke.
 */
import { ValidationError } from "../domain/errors.ts";
import type { Task } from "../domain/flow.ts";
import { operatorsByTaskType, taskPropertyKeys } from "./operators.ts";

/** A task with its position in the flow's task list, for error messages. */
export interface IndexedTask {
  task: Task;
  index: number;
}

export function fail(at: IndexedTask, member: string, rule: string): never {
  throw new ValidationError(`tasks[${at.index}].${member} ${rule}`);
}

/** Checks the common members and returns the task's operator (NO_OP when none is given). */
export function checkTask(at: IndexedTask): string {
  const { task } = at;
  if (!Array.isArray(task.sourceFields) || task.sourceFields.some((f) => typeof f !== "string")) {
    fail(at, "sourceFields", "must be a list of field names");
  }
  const allowed = operatorsByTaskType[task.taskType];
  if (allowed === undefined) {
    fail(
      at,
      "taskType",
      `must be one of ${Object.keys(operatorsByTaskType).join(", ")}; got '${task.taskType}'`,
    );
  }
  for (const key of Object.keys(task.taskProperties ?? {})) {
    if (!taskPropertyKeys.has(key)) fail(at, `taskProperties.${key}`, "is not a task property key");
  }
  const operator = operatorOf(at);
  if (operator === undefined) {
    if (allowed.includes("NO_OP")) return "NO_OP";
    fail(at, "connectorOperator", `is required for a ${task.taskType} task (one of ${allowed.join(", ")})`);
  }
  if (!allowed.includes(operator)) {
    fail(
      at,
      "connectorOperator",
      `'${operator}' is not valid for a ${task.taskType} task (one of ${allowed.join(", ")})`,
    );
  }
  return operator;
}

function operatorOf(at: IndexedTask): string | undefined {
  const op = at.task.connectorOperator;
  if (op === undefined || op === null) return undefined;
  const entries = Object.entries(op).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length === 0) return undefined;
  if (entries.length > 1) fail(at, "connectorOperator", "must name exactly one connector type");
  const [connector, value] = entries[0]!;
  if (typeof value !== "string") fail(at, `connectorOperator.${connector}`, "must be a string");
  return value;
}

export function prop(at: IndexedTask, key: string): string | undefined {
  return at.task.taskProperties?.[key];
}

export function requiredProp(at: IndexedTask, key: string, why: string): string {
  const v = prop(at, key);
  if (v === undefined || v === "") fail(at, `taskProperties.${key}`, `is required ${why}`);
  return v;
}

/** A non-negative whole number property (MASK_LENGTH, TRUNCATE_LENGTH). */
export function countProp(at: IndexedTask, key: string, why: string): number {
  const raw = requiredProp(at, key, why);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    fail(at, `taskProperties.${key}`, `must be a non-negative whole number; got '${raw}'`);
  }
  return Number(raw);
}

/**
 * A list of names. AppFlow writes these as a JSON array string (`["a","b"]`, as the console and
 * the CDK do for EXCLUDE_SOURCE_FIELDS_LIST); a plain comma list (`a,b`) is accepted too.
 */
export function listProp(at: IndexedTask, key: string): string[] | undefined {
  const raw = prop(at, key);
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail(at, `taskProperties.${key}`, "must be a JSON array of strings or a comma-separated list");
    }
    if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) {
      fail(at, `taskProperties.${key}`, "must be a JSON array of strings");
    }
    return parsed as string[];
  }
  return text === "" ? [] : text.split(",").map((s) => s.trim());
}

/** Exactly `n` source fields; returns them. */
export function sourceFieldsExactly(at: IndexedTask, n: number): string[] {
  const fields = at.task.sourceFields;
  if (fields.length !== n || fields.some((f) => f === "")) {
    fail(
      at,
      "sourceFields",
      `must name exactly ${n} field${n === 1 ? "" : "s"} for a ${at.task.taskType} task`,
    );
  }
  return fields;
}

export function sourceFieldsAtLeast(at: IndexedTask, n: number): string[] {
  const fields = at.task.sourceFields;
  if (fields.length < n || fields.some((f) => f === "")) {
    fail(
      at,
      "sourceFields",
      `must name at least ${n} field${n === 1 ? "" : "s"} for a ${at.task.taskType} task`,
    );
  }
  return fields;
}

export function destinationFieldOf(at: IndexedTask, required: boolean): string | undefined {
  const d = at.task.destinationField;
  if (d === undefined || d === "") {
    if (required) fail(at, "destinationField", `is required for a ${at.task.taskType} task`);
    return undefined;
  }
  return d;
}

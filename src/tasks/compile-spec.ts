/**
 * Checks a flow's task list and sorts its tasks into the phases they run in (docs/tasks.md):
 * projection → filters → validations → Mask/Truncate → Merge/Arithmetic → destination fields →
 * partition keys. Within a phase, tasks keep their list order.
 */
import { ValidationError } from "../domain/errors.ts";
import type { Task } from "../domain/flow.ts";
import { compileFilter, projectionFields } from "./filter.ts";
import { compileArithmetic, compileMap, compileMapAll, compileMerge, compilePassthrough } from "./mapping.ts";
import { compileMask, compileTruncate } from "./mask-truncate.ts";
import type { ArithmeticOperator, ComparisonOperator, MaskOperator, ValidateOperator } from "./operators.ts";
import { emptySpec, type TaskSpec } from "./spec.ts";
import { checkTask, fail, type IndexedTask, listProp } from "./task-properties.ts";
import { compileValidate } from "./validate.ts";

export function compileSpec(tasks: Task[]): TaskSpec {
  if (!Array.isArray(tasks)) throw new ValidationError("tasks must be a list");
  const spec = emptySpec();
  tasks.forEach((task, index) => {
    if (task === null || typeof task !== "object")
      throw new ValidationError(`tasks[${index}] must be a task`);
    addTask(spec, { task, index });
  });
  markIntermediates(spec);
  return spec;
}

function addTask(spec: TaskSpec, at: IndexedTask): void {
  const operator = checkTask(at);
  switch (at.task.taskType) {
    case "Filter":
      if (operator === "PROJECTION") {
        // Several PROJECTION tasks read the union of their fields.
        const union = new Set([...(spec.projection ?? []), ...projectionFields(at)]);
        spec.projection = [...union];
      } else {
        spec.filters.push(compileFilter(at, operator as ComparisonOperator));
      }
      return;
    case "Validate":
      spec.validations.push(...compileValidate(at, operator as ValidateOperator));
      return;
    case "Mask":
      spec.transforms.push(...compileMask(at, operator as MaskOperator));
      return;
    case "Truncate":
      spec.transforms.push(...compileTruncate(at));
      return;
    case "Merge":
      addDerived(spec, compileMerge(at));
      return;
    case "Arithmetic":
      addDerived(spec, compileArithmetic(at, operator as ArithmeticOperator));
      return;
    case "Map":
      spec.outputs.push(compileMap(at));
      return;
    case "Map_all":
      spec.outputs.push(compileMapAll(at));
      return;
    case "Passthrough":
      spec.outputs.push(...compilePassthrough(at));
      return;
    case "Partition": {
      if (spec.partitionKeys !== undefined) fail(at, "taskType", "Partition may appear only once");
      const keys = listProp(at, "ORDERED_PARTITION_KEYS_LIST") ?? at.task.sourceFields;
      if (keys.length === 0 || keys.some((k) => k === "")) {
        fail(at, "taskProperties.ORDERED_PARTITION_KEYS_LIST", "must name at least one field");
      }
      spec.partitionKeys = keys;
      return;
    }
  }
}

function addDerived(spec: TaskSpec, step: TaskSpec["derived"][number]): void {
  spec.derived.push(step);
  spec.outputs.push({
    kind: "field",
    destination: step.name,
    source: step.name,
    convert: null,
    derived: true,
  });
}

/**
 * A Merge/Arithmetic result that a later task reads (the CDK maps it with a Map task to convert
 * its type) is an intermediate value: only what that task makes of it reaches the destination.
 */
function markIntermediates(spec: TaskSpec): void {
  const read = new Set<string>();
  for (const d of spec.derived) for (const input of d.inputs) read.add(input);
  for (const o of spec.outputs) if (o.kind === "field" && !o.derived) read.add(o.source);
  spec.outputs = spec.outputs.filter((o) => !(o.kind === "field" && o.derived && read.has(o.source)));
}

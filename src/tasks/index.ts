/**
 * The AppFlow task list, compiled once per run into one function over a batch. Semantics and the
 * choices made where AppFlow leaves details open are in docs/tasks.md.
 */
import type { RecordBatch } from "../connectors/types.ts";
import type { Task } from "../domain/flow.ts";
import { type BytePlan, buildBytePlan, byteEligible } from "./byte-plan.ts";
import { compileSpec } from "./compile-spec.ts";
import { buildPlan, type Plan } from "./plan.ts";
import type { TaskSpec } from "./spec.ts";

export { FlowTerminatedError } from "./flow-terminated-error.ts";
export { allTaskOperators, operatorsByTaskType, taskPropertyKeys, validationActions } from "./operators.ts";

export interface CompiledTasks {
  /**
   * Runs the tasks over one batch: drops filtered and invalid records, returns the destination
   * fields. The input batch's rows may be modified in place and must not be used afterwards.
   * Throws FlowTerminatedError when a TerminateFlow validation fails, and ValidationError when a
   * Partition key is not a destination field.
   */
  apply(batch: RecordBatch): { batch: RecordBatch; dropped: number };
  /**
   * The source fields the tasks read, for connectors that can select fields at the source:
   * the PROJECTION fields plus every field another task names. Undefined: all fields.
   */
  readonly sourceFields: readonly string[] | undefined;
  /** Whether the tasks can run on bytes (the fast path) whatever the fields of the data. */
  readonly byteEligible: boolean;
  /** The byte plan for one field layout; undefined when the tasks can't run on bytes. */
  bytePlan(fields: readonly string[]): BytePlan | undefined;
}

/** Plans are cached per `fields` array; sources that make a new array per batch hit the key cache. */
const maxCachedLayouts = 64;

/**
 * Checks the task list (ValidationError naming `tasks[i]...` on a bad one) and compiles it.
 * Call it once per run: the returned object numbers records across the batches it is given.
 */
export function compileTasks(tasks: Task[]): CompiledTasks {
  const spec = compileSpec(tasks);
  const byArray = new WeakMap<readonly string[], Plan>();
  const byKey = new Map<string, Plan>();
  let recordsSeen = 0;

  const planFor = (fields: string[]): Plan => {
    let plan = byArray.get(fields);
    if (plan !== undefined) return plan;
    const key = fields.join("\u0000");
    plan = byKey.get(key);
    if (plan === undefined) {
      plan = buildPlan(spec, fields);
      if (byKey.size >= maxCachedLayouts) byKey.clear();
      byKey.set(key, plan);
    }
    byArray.set(fields, plan);
    return plan;
  };

  const eligible = byteEligible(spec);
  return {
    sourceFields: fieldsRead(spec),
    byteEligible: eligible,
    bytePlan: (fields) => (eligible ? buildBytePlan(spec, fields) : undefined),
    apply(batch) {
      const plan = planFor(batch.fields);
      const first = recordsSeen + 1;
      recordsSeen += batch.rows.length;
      const { rows, dropped } = plan.run(batch.rows, first);
      const out: RecordBatch = { fields: plan.outFields, rows, bytes: batch.bytes };
      if (spec.partitionKeys !== undefined) out.partitionKeys = spec.partitionKeys;
      return { batch: out, dropped };
    },
  };
}

function fieldsRead(spec: TaskSpec): string[] | undefined {
  if (spec.projection === undefined) return undefined;
  const derived = new Set(spec.derived.map((d) => d.name));
  const names = new Set(spec.projection);
  const add = (name: string) => {
    if (!derived.has(name)) names.add(name);
  };
  for (const f of spec.filters) add(f.field);
  for (const v of spec.validations) add(v.field);
  for (const t of spec.transforms) add(t.field);
  for (const d of spec.derived) for (const i of d.inputs) add(i);
  for (const o of spec.outputs) if (o.kind === "field") add(o.source);
  return [...names];
}

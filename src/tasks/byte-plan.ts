/**
 * The tasks as a byte transcoder can run them (formats/transcode): each destination column is one
 * source column, copied as it is or rewritten by the Mask/Truncate steps on that column. Only task
 * lists that never need a record's other values qualify — no value filters, validations, Merge or
 * Arithmetic, conversions that change a string, or partitions; anything else runs on rows of values.
 */
import type { FieldValue } from "../connectors/types.ts";
import { type MaskSpec, maskSpecOf } from "./mask-truncate.ts";
import { outputColumns } from "./plan.ts";
import type { TaskSpec } from "./spec.ts";
import { keepsStrings } from "./values.ts";

export interface ByteColumn {
  name: string;
  /** The source column, or -1 for a field this layout lacks (always null before its transforms). */
  source: number;
  /** Mask/Truncate steps on the column, in task order; undefined: the bytes pass through. */
  transform: ((v: FieldValue) => FieldValue) | undefined;
  /** When the column's only step is a Mask: what it does (the transcoder masks ASCII bytes itself). */
  mask: MaskSpec | undefined;
}

export interface BytePlan {
  fields: string[];
  columns: ByteColumn[];
}

/** Whether a task list can run on bytes at all, whatever the fields of the data. */
export function byteEligible(spec: TaskSpec): boolean {
  return (
    spec.filters.length === 0 &&
    spec.validations.length === 0 &&
    spec.derived.length === 0 &&
    spec.partitionKeys === undefined &&
    spec.outputs.every((o) => o.kind === "all" || o.convert === null || keepsStrings.has(o.convert))
  );
}

/** The plan for one field layout, with the general plan's column rules (plan.ts outputColumns). */
export function buildBytePlan(spec: TaskSpec, fields: readonly string[]): BytePlan | undefined {
  if (!byteEligible(spec)) return undefined;
  const width = fields.length;
  const slotOf = new Map<string, number>();
  fields.forEach((f, i) => {
    if (!slotOf.has(f)) slotOf.set(f, i);
  });
  // Fields the layout lacks get slots past the source columns, as in plan.ts; they read as null.
  let next = width;
  const resolve = (name: string): number => {
    let slot = slotOf.get(name);
    if (slot === undefined) {
      slot = next++;
      slotOf.set(name, slot);
    }
    return slot;
  };
  const steps = new Map<number, ((v: FieldValue) => FieldValue)[]>();
  for (const t of spec.transforms) {
    const slot = resolve(t.field);
    const list = steps.get(slot);
    if (list) list.push(t.fn);
    else steps.set(slot, [t.fn]);
  }
  const columns = outputColumns(spec, fields, resolve).map((c): ByteColumn => {
    const fns = steps.get(c.slot);
    const transform =
      fns === undefined
        ? undefined
        : fns.length === 1
          ? fns[0]!
          : (v: FieldValue) => fns.reduce((acc, fn) => fn(acc), v);
    const mask = fns?.length === 1 ? maskSpecOf(fns[0]!) : undefined;
    return { name: c.name, source: c.slot < width ? c.slot : -1, transform, mask };
  });
  return { fields: columns.map((c) => c.name), columns };
}

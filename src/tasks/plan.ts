/**
 * A TaskSpec bound to one field layout: every field name resolved to a column index once, so the
 * per-row loop only indexes arrays and calls prebuilt closures.
 *
 * Column slots: 0..fields.length-1 are the source columns; after them come one slot per field a
 * task names that this layout lacks (always null), then one per Merge/Arithmetic result. The
 * extra slots are written into the source row itself, as are Mask/Truncate results: apply()
 * owns the rows of the batch it is given.
 */
import { ValidationError } from "../domain/errors.ts";
import { compileRowLoop, type RowLoop } from "./row-loop.ts";
import type { TaskSpec } from "./spec.ts";
import type { Converter } from "./values.ts";

export interface Plan {
  outFields: string[];
  /** Runs the tasks over `rows`; `firstRecord` is the 1-based run-wide number of rows[0]. */
  run: RowLoop;
}

export function buildPlan(spec: TaskSpec, fields: readonly string[]): Plan {
  const width = fields.length;
  const sourceSlot = new Map<string, number>();
  fields.forEach((f, i) => {
    if (!sourceSlot.has(f)) sourceSlot.set(f, i);
  });
  let next = width;
  const nullSlots: number[] = [];
  const source = (name: string): number => {
    let slot = sourceSlot.get(name);
    if (slot === undefined) {
      slot = next++;
      sourceSlot.set(name, slot);
      nullSlots.push(slot);
    }
    return slot;
  };

  const filterSlots = spec.filters.map((f) => source(f.field));
  const validationSlots = spec.validations.map((v) => source(v.field));
  const transformSlots = spec.transforms.map((t) => source(t.field));

  // Derived results shadow source fields of the same name for the tasks after them. Missing
  // source fields get their (null) slots first, so each row grows without holes.
  const derivedNames = new Set(spec.derived.map((d) => d.name));
  for (const d of spec.derived) for (const name of d.inputs) if (!derivedNames.has(name)) source(name);
  for (const o of spec.outputs) if (o.kind === "field" && !derivedNames.has(o.source)) source(o.source);
  if (spec.outputs.some((o) => o.kind === "all")) for (const f of spec.projection ?? []) source(f);
  const derivedSlot = new Map<string, number>();
  const resolve = (name: string): number => derivedSlot.get(name) ?? source(name);
  const derivedTargets: number[] = [];
  const derivedFns = spec.derived.map((d) => {
    const fn = d.make(d.inputs.map(resolve));
    const slot = next++;
    derivedSlot.set(d.name, slot);
    derivedTargets.push(slot);
    return fn;
  });

  const out = outputColumns(spec, fields, resolve);
  const outFields = out.map((c) => c.name);
  for (const key of spec.partitionKeys ?? []) {
    if (!outFields.includes(key)) {
      throw new ValidationError(
        `Partition key ${key} is not a destination field (fields: ${outFields.join(", ")})`,
      );
    }
  }
  // Nothing to compute per cell: hand the source rows on as they are.
  const identity =
    out.length === width && nullSlots.length === 0 && out.every((c, i) => c.slot === i && c.convert === null);

  const run = compileRowLoop({
    nullSlots,
    filters: spec.filters.map((f, i) => ({ slot: filterSlots[i]!, test: f.test })),
    validations: spec.validations.map((step, i) => ({ slot: validationSlots[i]!, step })),
    transforms: spec.transforms.map((t, i) => ({ slot: transformSlots[i]!, fn: t.fn })),
    derived: derivedFns.map((fn, i) => ({ slot: derivedTargets[i]!, fn })),
    outputs: identity ? "identity" : out,
  });
  return { outFields, run };
}

export interface Column {
  name: string;
  slot: number;
  convert: Converter | null;
}

/**
 * Destination columns in task order. A name written twice keeps its first position and takes the
 * later task's value (Map_all then a Map that converts one field). Without any mapping task every
 * field passes through, as with a Map_all.
 */
export function outputColumns(
  spec: TaskSpec,
  fields: readonly string[],
  resolve: (name: string) => number,
): Column[] {
  const columns: Column[] = [];
  const position = new Map<string, number>();
  const put = (name: string, slot: number, convert: Converter | null) => {
    const at = position.get(name);
    if (at === undefined) {
      position.set(name, columns.length);
      columns.push({ name, slot, convert });
    } else {
      columns[at] = { name, slot, convert };
    }
  };
  const outputs =
    spec.outputs.length > 0 ? spec.outputs : [{ kind: "all" as const, exclude: new Set<string>() }];
  for (const o of outputs) {
    if (o.kind === "field") {
      put(o.destination, resolve(o.source), o.convert);
      continue;
    }
    // Map_all: the projected fields in projection order (a missing one is null, so every batch of
    // a run has the same columns), or without a projection the batch's own fields.
    const all = spec.projection ?? [...new Set(fields)];
    for (const f of all) if (!o.exclude.has(f)) put(f, resolve(f), null);
  }
  return columns;
}

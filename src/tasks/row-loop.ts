/**
 * Generates the per-batch loop for one plan. The generated source holds only column numbers and
 * local names (never a field name or a property value), and calls the task closures through
 * locals, so each call site sees one function and each destination row is built as one array
 * literal of known size. This is what lets a batch run at millions of rows per second.
 */
import type { FieldValue } from "../connectors/types.ts";
import { FlowTerminatedError } from "./flow-terminated-error.ts";
import type { ValidationStep, ValueTest } from "./spec.ts";
import { type Converter, keepsStrings } from "./values.ts";

export interface LoopShape {
  /** Slots of fields the layout lacks: set to null before anything reads them. */
  nullSlots: number[];
  filters: { slot: number; test: ValueTest }[];
  validations: { slot: number; step: ValidationStep }[];
  transforms: { slot: number; fn: Converter }[];
  derived: { slot: number; fn: (row: FieldValue[]) => FieldValue }[];
  /** Destination columns; "identity" hands each (filtered) source row on as it is. */
  outputs: { slot: number; convert: Converter | null }[] | "identity";
}

export type RowLoop = (
  rows: FieldValue[][],
  firstRecord: number,
) => { rows: FieldValue[][]; dropped: number };

export function compileRowLoop(shape: LoopShape): RowLoop {
  const k = {
    f: shape.filters.map((f) => f.test),
    v: shape.validations.map((v) => v.step.ok),
    vf: shape.validations.map((v) => v.step.field),
    vo: shape.validations.map((v) => v.step.operator),
    t: shape.transforms.map((t) => t.fn),
    d: shape.derived.map((d) => d.fn),
    c: shape.outputs === "identity" ? [] : shape.outputs.map((o) => o.convert),
    Terminated: FlowTerminatedError,
  };
  const head: string[] = ['"use strict";', "const Terminated = k.Terminated;"];
  const body: string[] = [];
  const cell = (slot: number) => `(row[${int(slot)}] ?? null)`;

  for (const slot of shape.nullSlots) body.push(`row[${int(slot)}] = null;`);
  shape.filters.forEach((f, i) => {
    head.push(`const f${i} = k.f[${i}];`);
    body.push(`if (!f${i}(${cell(f.slot)})) { dropped++; continue; }`);
  });
  shape.validations.forEach((v, i) => {
    head.push(`const v${i} = k.v[${i}], vf${i} = k.vf[${i}], vo${i} = k.vo[${i}];`);
    const onFail =
      v.step.action === "TerminateFlow"
        ? `throw new Terminated(vf${i}, vo${i}, firstRecord + r);`
        : "dropped++; continue;";
    body.push(`if (!v${i}(${cell(v.slot)})) { ${onFail} }`);
  });
  shape.transforms.forEach((t, i) => {
    head.push(`const t${i} = k.t[${i}];`);
    body.push(`row[${int(t.slot)}] = t${i}(${cell(t.slot)});`);
  });
  shape.derived.forEach((d, i) => {
    head.push(`const d${i} = k.d[${i}];`);
    body.push(`row[${int(d.slot)}] = d${i}(row);`);
  });
  if (shape.outputs === "identity") {
    body.push("result.push(row);");
  } else {
    const cells = shape.outputs.map((o, i) => {
      if (o.convert === null) return cell(o.slot);
      head.push(`const c${i} = k.c[${i}];`);
      // Most cells are already strings headed for a string column: skip the call for them.
      if (keepsStrings.has(o.convert))
        return `(typeof (x = row[${int(o.slot)}]) === "string" ? x : c${i}(x ?? null))`;
      return `c${i}(${cell(o.slot)})`;
    });
    body.push(`result.push([${cells.join(", ")}]);`);
  }

  const source = `${head.join("\n")}
return function run(rows, firstRecord) {
  const result = [];
  let dropped = 0;
  let x;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    ${body.join("\n    ")}
  }
  return { rows: result, dropped };
};`;
  const factory = new Function("k", source) as (ks: typeof k) => RowLoop;
  return factory(k);
}

/** Guards the generated source: only plain non-negative integers are ever spliced in. */
function int(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad column slot ${n}`);
  return String(n);
}

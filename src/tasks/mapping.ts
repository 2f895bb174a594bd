/**
 * The tasks that decide what the destination receives: Map (one field, optionally converted),
 * Map_all (every source field under its own name), Passthrough (fields unchanged), and the
 * derived fields Merge (text concatenation) and Arithmetic.
 */
import type { ArithmeticOperator } from "./operators.ts";
import type { DerivedStep, OutputStep } from "./spec.ts";
import {
  destinationFieldOf,
  fail,
  type IndexedTask,
  listProp,
  prop,
  sourceFieldsAtLeast,
  sourceFieldsExactly,
} from "./task-properties.ts";
import { converterFor, toNumber, toText } from "./values.ts";

export function compileMap(at: IndexedTask): OutputStep {
  const [source] = sourceFieldsExactly(at, 1) as [string];
  const destination = destinationFieldOf(at, false) ?? source;
  const convert = converterFor(prop(at, "SOURCE_DATA_TYPE"), prop(at, "DESTINATION_DATA_TYPE"));
  return { kind: "field", destination, source, convert, derived: false };
}

export function compileMapAll(at: IndexedTask): OutputStep {
  return { kind: "all", exclude: new Set(listProp(at, "EXCLUDE_SOURCE_FIELDS_LIST") ?? []) };
}

/** One field may be renamed by destinationField; several keep their names. No conversion. */
export function compilePassthrough(at: IndexedTask): OutputStep[] {
  const sources = sourceFieldsAtLeast(at, 1);
  const destination = sources.length === 1 ? destinationFieldOf(at, false) : undefined;
  return sources.map((source) => ({
    kind: "field",
    destination: destination ?? source,
    source,
    convert: null,
    derived: false,
  }));
}

/**
 * CONCAT_FORMAT either holds `${field}` placeholders (`${FirstName} ${LastName}`), or is the
 * separator put between the source fields in order; without it the values are joined with
 * nothing between them. A null value contributes an empty string.
 */
export function compileMerge(at: IndexedTask): DerivedStep {
  const sources = sourceFieldsAtLeast(at, 1);
  const name = destinationFieldOf(at, true)!;
  const format = prop(at, "CONCAT_FORMAT") ?? "";
  const placeholder = /\$\{([^}]*)\}/g;
  if (!format.includes("${")) {
    return {
      name,
      inputs: sources,
      make: (slots) => (row) => {
        let s = toText(row[slots[0]!] ?? null) ?? "";
        for (let i = 1; i < slots.length; i++) s += format + (toText(row[slots[i]!] ?? null) ?? "");
        return s;
      },
    };
  }
  const literals: string[] = [];
  const inputs: string[] = [];
  let last = 0;
  for (const m of format.matchAll(placeholder)) {
    if (m[1] === "") fail(at, "taskProperties.CONCAT_FORMAT", "has a placeholder with no field name");
    literals.push(format.slice(last, m.index));
    inputs.push(m[1]!);
    last = m.index + m[0].length;
  }
  literals.push(format.slice(last));
  return {
    name,
    inputs,
    make: (slots) => (row) => {
      let s = literals[0]!;
      for (let i = 0; i < slots.length; i++) s += (toText(row[slots[i]!] ?? null) ?? "") + literals[i + 1]!;
      return s;
    },
  };
}

const apply: Record<ArithmeticOperator, (a: number, b: number) => number> = {
  ADDITION: (a, b) => a + b,
  SUBTRACTION: (a, b) => a - b,
  MULTIPLICATION: (a, b) => a * b,
  DIVISION: (a, b) => a / b,
};

/**
 * Folds the operands left to right in MATH_OPERATION_FIELDS_ORDER (default: sourceFields order):
 * `a - b - c`. Any null or non-numeric operand, a division by zero, or a non-finite result gives
 * null.
 */
export function compileArithmetic(at: IndexedTask, operator: ArithmeticOperator): DerivedStep {
  const sources = sourceFieldsAtLeast(at, 1);
  const name = destinationFieldOf(at, true)!;
  const order = listProp(at, "MATH_OPERATION_FIELDS_ORDER") ?? sources;
  if (order.length < 2) fail(at, "taskProperties.MATH_OPERATION_FIELDS_ORDER", "must name at least 2 fields");
  for (const f of order) {
    if (!sources.includes(f))
      fail(at, "taskProperties.MATH_OPERATION_FIELDS_ORDER", `names '${f}', not a source field`);
  }
  const op = apply[operator];
  const division = operator === "DIVISION";
  return {
    name,
    inputs: order,
    make: (slots) => (row) => {
      let acc = toNumber(row[slots[0]!] ?? null);
      if (acc === null) return null;
      for (let i = 1; i < slots.length; i++) {
        const x = toNumber(row[slots[i]!] ?? null);
        if (x === null || (division && x === 0)) return null;
        acc = op(acc, x);
      }
      return Number.isFinite(acc) ? acc : null;
    },
  };
}

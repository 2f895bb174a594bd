/**
 * Filter tasks. PROJECTION names the source fields the flow reads; the comparison operators drop
 * the records whose value doesn't match. A null (or unreadable) value matches no comparison,
 * NOT_EQUAL_TO included, as in SQL.
 */
import type { FieldValue } from "../connectors/types.ts";
import type { ComparisonOperator } from "./operators.ts";
import type { FilterStep, ValueTest } from "./spec.ts";
import {
  fail,
  type IndexedTask,
  listProp,
  prop,
  requiredProp,
  sourceFieldsAtLeast,
  sourceFieldsExactly,
} from "./task-properties.ts";
import { startOfUtcDay, toBoolean, toEpochMillis, toNumber, toText, typeCategory } from "./values.ts";

type Kind = "number" | "string" | "time" | "day" | "boolean";
type Comparable = number | string | boolean;

export function projectionFields(at: IndexedTask): string[] {
  return sourceFieldsAtLeast(at, 1);
}

export function compileFilter(at: IndexedTask, operator: ComparisonOperator): FilterStep {
  const [field] = sourceFieldsExactly(at, 1) as [string];
  const operands = operandTexts(at, operator);
  if (operator === "CONTAINS") return { field, test: contains(operands.map((o) => o.text)) };
  const kind = kindOf(at, operands);
  const read = reader(kind);
  const values = operands.map(({ key, text }) => {
    const v = read(text);
    if (v === null) fail(at, `taskProperties.${key}`, `must be a ${kindName[kind]} value; got '${text}'`);
    return v;
  });
  return { field, test: comparison(at, operator, kind, read, values) };
}

const kindName: Record<Kind, string> = {
  number: "number",
  string: "string",
  time: "date/time",
  day: "date",
  boolean: "boolean (true/false)",
};

function operandTexts(at: IndexedTask, operator: ComparisonOperator): { key: string; text: string }[] {
  if (operator === "BETWEEN") {
    const why = "for BETWEEN";
    return [
      { key: "LOWER_BOUND", text: requiredProp(at, "LOWER_BOUND", why) },
      { key: "UPPER_BOUND", text: requiredProp(at, "UPPER_BOUND", why) },
    ];
  }
  const value = prop(at, "VALUE");
  if (value !== undefined) return [{ key: "VALUE", text: value }];
  const values = listProp(at, "VALUES") ?? [];
  if (values.length === 0) fail(at, "taskProperties", `must hold VALUE or VALUES for ${operator}`);
  const single = ["EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"].includes(operator);
  if (!single && values.length > 1) fail(at, "taskProperties.VALUES", `must hold one value for ${operator}`);
  return values.map((text) => ({ key: "VALUES", text }));
}

/** DATA_TYPE decides how values compare; without one, numbers compare as numbers, the rest as text. */
function kindOf(at: IndexedTask, operands: { text: string }[]): Kind {
  const category = typeCategory(prop(at, "DATA_TYPE"));
  switch (category) {
    case "integer":
    case "number":
      return "number";
    case "date":
      return "day";
    case "datetime":
      return "time";
    case "boolean":
      return "boolean";
    case "string":
      return "string";
    case "other":
      return operands.every(({ text }) => toNumber(text) !== null) ? "number" : "string";
  }
}

function reader(kind: Kind): (v: FieldValue) => Comparable | null {
  switch (kind) {
    case "number":
      return toNumber;
    case "string":
      return toText;
    case "boolean":
      return toBoolean;
    case "time":
      return toEpochMillis;
    case "day":
      return (v) => {
        const t = toEpochMillis(v);
        return t === null ? null : startOfUtcDay(t);
      };
  }
}

function comparison(
  at: IndexedTask,
  operator: ComparisonOperator,
  kind: Kind,
  read: (v: FieldValue) => Comparable | null,
  values: Comparable[],
): ValueTest {
  if (kind === "boolean" && operator !== "EQUAL_TO" && operator !== "NOT_EQUAL_TO") {
    fail(at, "connectorOperator", `'${operator}' does not apply to boolean values`);
  }
  const a = values[0]!;
  switch (operator) {
    case "LESS_THAN":
      return (v) => {
        const x = read(v);
        return x !== null && x < a;
      };
    case "GREATER_THAN":
      return (v) => {
        const x = read(v);
        return x !== null && x > a;
      };
    case "LESS_THAN_OR_EQUAL_TO":
      return (v) => {
        const x = read(v);
        return x !== null && x <= a;
      };
    case "GREATER_THAN_OR_EQUAL_TO":
      return (v) => {
        const x = read(v);
        return x !== null && x >= a;
      };
    case "BETWEEN": {
      // Inclusive at both ends.
      const b = values[1]!;
      return (v) => {
        const x = read(v);
        return x !== null && x >= a && x <= b;
      };
    }
    case "EQUAL_TO": {
      if (values.length === 1) {
        return (v) => read(v) === a;
      }
      const set = new Set(values);
      return (v) => {
        const x = read(v);
        return x !== null && set.has(x);
      };
    }
    case "NOT_EQUAL_TO": {
      // With VALUES: the value is none of them (reading "a or b" as "not in").
      const set = new Set(values);
      return (v) => {
        const x = read(v);
        return x !== null && !set.has(x);
      };
    }
    case "CONTAINS":
      return contains(values.map(String));
  }
}

/** Case-sensitive text containment whatever DATA_TYPE says; any of VALUES matches. */
function contains(needles: string[]): ValueTest {
  return (v) => {
    const s = toText(v);
    if (s === null) return false;
    for (const n of needles) if (s.includes(n)) return true;
    return false;
  };
}

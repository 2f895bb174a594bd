/**
 * Builds the SOQL a Salesforce source runs: the fields (the flow's projection, else every field the
 * describe call lists), the flow's Filter tasks pushed down into WHERE where SOQL keeps at least every
 * record Sluice's own filter keeps (the tasks still run after the read, so pushdown only ever removes
 * records that would be dropped anyway), and the incremental window on SystemModstamp (or
 * datetimeTypeFieldName). SOQL and SOSL Reference: "Comparison Operators", "Date Formats and Date
 * Literals", "Quoted String Escape Sequences". The table of what is pushed is in docs/salesforce.md.
 */

import { ValidationError } from "../../domain/errors.ts";
import type { Task } from "../../domain/flow.ts";

/** The describe facts the builder needs about a field. */
export interface SoqlField {
  name: string;
  /** Salesforce's field type: string, double, int, currency, percent, date, datetime, boolean, … */
  type: string;
  filterable: boolean;
}

export interface SoqlInput {
  object: string;
  fields: readonly SoqlField[];
  /** Source fields the tasks read; undefined = all. */
  projection?: readonly string[];
  tasks: readonly Task[];
  window?: { start?: number; end: number };
  windowField?: string;
}

export interface BuiltSoql {
  /** SELECT <fields> FROM <object> [WHERE …] */
  query: string;
  selected: string[];
  /** The same FROM/WHERE for `SELECT COUNT()`. */
  countQuery: string;
  /** Filter task indexes pushed into WHERE (for the run log). */
  pushed: number[];
}

const NUMERIC = new Set(["double", "int", "long", "currency", "percent"]);
const TEXT = new Set([
  "string",
  "textarea",
  "picklist",
  "email",
  "phone",
  "url",
  "id",
  "reference",
  "combobox",
]);
const NUMERIC_DATA_TYPES = new Set([
  "double",
  "int",
  "integer",
  "long",
  "float",
  "number",
  "decimal",
  "currency",
  "percent",
  "bigint",
  "short",
  "byte",
]);

export function buildSoql(i: SoqlInput): BuiltSoql {
  const byName = new Map(i.fields.map((f) => [f.name.toLowerCase(), f]));
  const field = (name: string, what: string): SoqlField => {
    const f = byName.get(name.toLowerCase());
    if (!f) throw new ValidationError(`${what}: ${i.object} has no field '${name}'`);
    return f;
  };
  const selected = i.projection
    ? i.projection.map((n) => field(n, "the flow's projection").name)
    : i.fields.map((f) => f.name);
  const where: string[] = [];
  const pushed: number[] = [];
  i.tasks.forEach((t, n) => {
    const clause = pushdown(t, byName);
    if (clause) {
      where.push(clause);
      pushed.push(n);
    }
  });
  if (i.window) {
    const w = field(i.windowField ?? "SystemModstamp", "incrementalPullConfig.datetimeTypeFieldName");
    // A date field would make day-wide windows that overlap or skip records: datetime fields only.
    if (w.type !== "datetime")
      throw new ValidationError(
        `incrementalPullConfig.datetimeTypeFieldName: ${i.object}.${w.name} is a ${w.type} field, not a datetime`,
      );
    if (i.window.start !== undefined) where.push(`${w.name} >= ${datetime(i.window.start)}`);
    where.push(`${w.name} < ${datetime(i.window.end)}`);
  }
  const tail = `FROM ${i.object}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
  return {
    query: `SELECT ${selected.join(", ")} ${tail}`,
    selected,
    countQuery: `SELECT COUNT() ${tail}`,
    pushed,
  };
}

/** A SOQL condition for one Filter task, or undefined when it can't be pushed exactly or as a superset. */
function pushdown(t: Task, byName: ReadonlyMap<string, SoqlField>): string | undefined {
  if (t.taskType !== "Filter") return undefined;
  const op = t.connectorOperator?.Salesforce;
  if (!op || op === "PROJECTION") return undefined;
  const f = byName.get((t.sourceFields[0] ?? "").toLowerCase());
  if (!f?.filterable || t.sourceFields.length !== 1) return undefined;
  const props = t.taskProperties ?? {};
  const dataType = props.DATA_TYPE?.trim().toLowerCase();
  const operands = operandsOf(op, props);
  if (!operands) return undefined;
  const lit = literalFor(f, dataType, op);
  if (!lit) return undefined;
  const values = operands.map(lit);
  if (values.some((v) => v === undefined)) return undefined;
  const vs = values as string[];
  const name = f.name;
  switch (op) {
    case "EQUAL_TO":
      return vs.length === 1 ? `${name} = ${vs[0]}` : `${name} IN (${vs.join(", ")})`;
    case "NOT_EQUAL_TO":
      // SOQL's != keeps nulls, which Sluice's filter then drops: a superset, as wanted.
      return vs.length === 1 ? `${name} != ${vs[0]}` : `${name} NOT IN (${vs.join(", ")})`;
    case "LESS_THAN":
      return `${name} < ${vs[0]}`;
    case "LESS_THAN_OR_EQUAL_TO":
      return `${name} <= ${vs[0]}`;
    case "GREATER_THAN":
      return `${name} > ${vs[0]}`;
    case "GREATER_THAN_OR_EQUAL_TO":
      return `${name} >= ${vs[0]}`;
    case "BETWEEN":
      return `(${name} >= ${vs[0]} AND ${name} <= ${vs[1]})`;
    case "CONTAINS":
      return vs.length === 1
        ? `${name} LIKE ${vs[0]}`
        : `(${vs.map((v) => `${name} LIKE ${v}`).join(" OR ")})`;
    default:
      return undefined;
  }
}

function operandsOf(op: string, p: Record<string, string>): string[] | undefined {
  if (op === "BETWEEN")
    return p.LOWER_BOUND !== undefined && p.UPPER_BOUND !== undefined
      ? [p.LOWER_BOUND, p.UPPER_BOUND]
      : undefined;
  if (p.VALUE !== undefined) return [p.VALUE];
  const raw = p.VALUES?.trim();
  if (!raw) return undefined;
  if (raw.startsWith("[")) {
    try {
      const a = JSON.parse(raw) as unknown;
      return Array.isArray(a) && a.every((x) => typeof x === "string") ? (a as string[]) : undefined;
    } catch {
      return undefined;
    }
  }
  return raw.split(",").map((s) => s.trim());
}

/**
 * How an operand becomes a SOQL literal for this field and operator, or undefined when pushing it
 * would not be exact-or-superset (SOQL text comparison is case-insensitive and collated, Sluice's is
 * case-sensitive by code unit: only = / IN and CONTAINS → LIKE are safe on text).
 */
function literalFor(
  f: SoqlField,
  dataType: string | undefined,
  op: string,
): ((v: string) => string | undefined) | undefined {
  if (NUMERIC.has(f.type)) {
    if (op === "CONTAINS" || (dataType !== undefined && !NUMERIC_DATA_TYPES.has(dataType))) return undefined;
    return (v) => {
      const t = v.trim();
      return /^-?\d+(\.\d+)?$/.test(t) ? t : undefined;
    };
  }
  if (f.type === "datetime" && (dataType === "datetime" || dataType === "timestamp")) {
    if (op === "CONTAINS") return undefined;
    return (v) => {
      const ms = Date.parse(v);
      return Number.isNaN(ms) ? undefined : datetime(ms);
    };
  }
  if (f.type === "date" && dataType === "date") {
    if (op === "CONTAINS") return undefined;
    return (v) =>
      /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) && !Number.isNaN(Date.parse(v.trim())) ? v.trim() : undefined;
  }
  if (f.type === "boolean" && dataType === "boolean") {
    if (op !== "EQUAL_TO" && op !== "NOT_EQUAL_TO") return undefined;
    return (v) => (/^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() : undefined);
  }
  if (TEXT.has(f.type) && (dataType === undefined || dataType === "string")) {
    if (op === "EQUAL_TO") return (v) => quote(v);
    // LIKE's wildcards can't be escaped portably: values holding % or _ stay with Sluice's filter.
    if (op === "CONTAINS") return (v) => (/[%_\\]/.test(v) ? undefined : quote(`%${v}%`));
  }
  return undefined;
}

/** A SOQL string literal: backslash escapes for \ and ' and line breaks. */
export function quote(v: string): string {
  return `'${v
    .replace(/[\\']/g, (c) => `\\${c}`)
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")}'`;
}

/** A SOQL datetime literal in UTC, millisecond precision. */
export function datetime(ms: number): string {
  return new Date(ms).toISOString();
}

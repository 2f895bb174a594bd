/**
 * Evaluates a parsed SOQL query against the in-memory org, with Salesforce's type rules for filters.
 *
 * Docs: SOQL and SOSL Reference — "Comparison Operators" (text comparisons and LIKE are case-insensitive;
 * LIKE wildcards % and _), "Date Formats and Date Literals" (date fields take unquoted yyyy-MM-dd,
 * dateTime fields unquoted yyyy-MM-ddTHH:mm:ssZ or with an offset; TODAY, LAST_N_DAYS:n … are ranges
 * in the user's time zone — UTC here), "ORDER BY" (ASC default, NULLS FIRST for ASC, NULLS LAST for DESC).
 * Errors: INVALID_TYPE for an unknown sObject, INVALID_FIELD for an unknown or unfilterable field,
 * INVALID_QUERY_FILTER_OPERATOR for a value of the wrong type, all HTTP 400 with the Row/Column pointer.
 */
import { normaliseId } from "./ids.ts";
import type { Org, Row } from "./org.ts";
import type { FieldDef, ObjectDef } from "./schema.ts";
import { type Cond, type Ident, type Literal, parseSoql, queryError } from "./soql-parse.ts";
import { parseDatetime, type Value } from "./values.ts";

export interface QueryResult {
  object: ObjectDef;
  fields: FieldDef[];
  /** Matching rows after ORDER BY / OFFSET / LIMIT (all of them for COUNT()). */
  rows: Row[];
  count: boolean;
}

const DAY = 86_400_000;
const TEXT = new Set(["string", "textarea", "picklist", "email", "phone", "url"]);
const NUMERIC = new Set(["int", "double", "currency", "percent"]);

export function runSoql(org: Org, q: string, includeDeleted: boolean, now: number): QueryResult {
  const ast = parseSoql(q);
  const object = org.object(ast.object.name);
  if (!object)
    throw queryError(
      "INVALID_TYPE",
      q,
      ast.object.pos,
      `sObject type '${ast.object.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  const field = (id: Ident): FieldDef => {
    const fd = object.fields.find((f) => f.name.toLowerCase() === id.name.toLowerCase());
    if (fd) return fd;
    if (id.name.includes("."))
      throw queryError(
        "INVALID_FIELD",
        q,
        id.pos,
        `the fake Salesforce does not implement relationship fields: '${id.name}'`,
      );
    throw queryError(
      "INVALID_FIELD",
      q,
      id.pos,
      `No such column '${id.name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  };
  const fields = ast.fields.map(field);
  const seen = new Set<string>();
  ast.fields.forEach((id, n) => {
    const name = fields[n]!.name;
    if (seen.has(name)) throw queryError("MALFORMED_QUERY", q, id.pos, `duplicate field selected: ${name}`);
    seen.add(name);
  });
  const pred = ast.where ? compile(ast.where) : () => true;

  function compile(c: Cond): (r: Row) => boolean {
    if (c.kind === "and" || c.kind === "or") {
      const l = compile(c.left);
      const r = compile(c.right);
      return c.kind === "and" ? (row) => l(row) && r(row) : (row) => l(row) || r(row);
    }
    if (c.kind === "not") {
      const inner = compile(c.cond);
      return (row) => !inner(row);
    }
    const fd = field(c.field);
    if (!fd.filterable)
      throw queryError(
        "INVALID_FIELD",
        q,
        c.field.pos,
        `field '${fd.name}' can not be filtered in a query call`,
      );
    if (c.kind === "in") {
      const tests = c.values.map((v) => matcher(fd, "=", v, c.field));
      // Like `!=`, NOT IN keeps records whose value is null (SOQL compares null as a value, unlike SQL).
      return c.negated ? (row) => !tests.some((t) => t(row)) : (row) => tests.some((t) => t(row));
    }
    return matcher(fd, c.op, c.value, c.field);
  }

  function typeError(fd: FieldDef, id: Ident, kind: string): never {
    throw queryError(
      "INVALID_QUERY_FILTER_OPERATOR",
      q,
      id.pos,
      `value of filter criterion for field '${fd.name}' must be of type ${kind} and should not be enclosed in quotes`,
    );
  }

  function matcher(fd: FieldDef, op: string, lit: Literal, id: Ident): (r: Row) => boolean {
    if (lit.kind === "null") {
      if (op !== "=" && op !== "!=")
        throw queryError("MALFORMED_QUERY", q, id.pos, `invalid operator on null: ${op}`);
      return op === "=" ? (r) => r[fd.name] === null : (r) => r[fd.name] !== null;
    }
    if (op === "LIKE") {
      if (!TEXT.has(fd.type) || lit.kind !== "string")
        throw queryError(
          "INVALID_QUERY_FILTER_OPERATOR",
          q,
          id.pos,
          `invalid operator on field '${fd.name}': LIKE`,
        );
      const re = new RegExp(
        `^${lit.value
          .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
          .replace(/%/g, ".*")
          .replace(/_/g, ".")}$`,
        "is",
      );
      return (r) => typeof r[fd.name] === "string" && re.test(r[fd.name] as string);
    }
    if (lit.kind === "dateLiteral") {
      if (fd.type !== "date" && fd.type !== "datetime") typeError(fd, id, fd.type);
      const [lo, hi] = dateRange(lit, now);
      const key = (r: Row): number | null => {
        const v = r[fd.name];
        if (v === null || v === undefined) return null;
        return typeof v === "number" ? v : Date.parse(`${v}T00:00:00Z`);
      };
      return rangeTest(op, key, lo, hi);
    }
    let want: Value;
    if (TEXT.has(fd.type)) {
      if (lit.kind !== "string") typeError(fd, id, "string");
      want = lit.value.toLowerCase();
      const cmp = (r: Row): number | null =>
        typeof r[fd.name] === "string"
          ? compareStr((r[fd.name] as string).toLowerCase(), want as string)
          : null;
      return opTest(op, cmp);
    }
    if (fd.type === "id" || fd.type === "reference") {
      if (lit.kind !== "string") typeError(fd, id, "id");
      const norm = normaliseId(lit.value);
      if (!norm)
        throw queryError("INVALID_QUERY_FILTER_OPERATOR", q, id.pos, `invalid ID field: ${lit.value}`);
      return opTest(op, (r) =>
        typeof r[fd.name] === "string" ? compareStr(r[fd.name] as string, norm) : null,
      );
    }
    if (NUMERIC.has(fd.type)) {
      if (lit.kind !== "number") typeError(fd, id, "number");
      return opTest(op, (r) =>
        typeof r[fd.name] === "number" ? Math.sign((r[fd.name] as number) - lit.value) : null,
      );
    }
    if (fd.type === "boolean") {
      if (lit.kind !== "boolean" || (op !== "=" && op !== "!=")) typeError(fd, id, "boolean");
      return op === "=" ? (r) => r[fd.name] === lit.value : (r) => r[fd.name] !== lit.value;
    }
    if (fd.type === "date") {
      if (lit.kind !== "date") typeError(fd, id, "date");
      return opTest(op, (r) =>
        typeof r[fd.name] === "string" ? compareStr(r[fd.name] as string, lit.value) : null,
      );
    }
    // datetime
    if (lit.kind !== "datetime") typeError(fd, id, "dateTime");
    const ms = parseDatetime(lit.value);
    if (ms === undefined)
      throw queryError("MALFORMED_QUERY", q, id.pos, `invalid dateTime literal: ${lit.value}`);
    return opTest(op, (r) =>
      typeof r[fd.name] === "number" ? Math.sign((r[fd.name] as number) - ms) : null,
    );
  }

  let rows = org.list(object.name, includeDeleted).filter(pred);
  if (ast.orderBy.length > 0) {
    const keys = ast.orderBy.map((o) => ({ ...o, fd: field(o.field) }));
    rows = [...rows].sort((a, b) => {
      for (const k of keys) {
        const c = compareValues(a[k.fd.name] ?? null, b[k.fd.name] ?? null, k.nullsLast, k.desc);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  if (!ast.count) {
    if (ast.offset !== undefined) rows = rows.slice(ast.offset);
    if (ast.limit !== undefined) rows = rows.slice(0, ast.limit);
  }
  return { object, fields, rows, count: ast.count };
}

function compareStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function opTest(op: string, cmp: (r: Row) => number | null): (r: Row) => boolean {
  return (r) => {
    const c = cmp(r);
    if (c === null) return op === "!=";
    switch (op) {
      case "=":
        return c === 0;
      case "!=":
        return c !== 0;
      case "<":
        return c < 0;
      case "<=":
        return c <= 0;
      case ">":
        return c > 0;
      default:
        return c >= 0;
    }
  };
}

/** A date literal is a range [lo, hi): `=` means inside it, `>` after it, `<` before it. */
function rangeTest(op: string, key: (r: Row) => number | null, lo: number, hi: number): (r: Row) => boolean {
  return (r) => {
    const v = key(r);
    if (v === null) return op === "!=";
    switch (op) {
      case "=":
        return v >= lo && v < hi;
      case "!=":
        return v < lo || v >= hi;
      case "<":
        return v < lo;
      case "<=":
        return v < hi;
      case ">":
        return v >= hi;
      default:
        return v >= lo;
    }
  };
}

function dateRange(lit: Extract<Literal, { kind: "dateLiteral" }>, now: number): [number, number] {
  const today = Math.floor(now / DAY) * DAY;
  switch (lit.name) {
    case "TODAY":
      return [today, today + DAY];
    case "YESTERDAY":
      return [today - DAY, today];
    case "TOMORROW":
      return [today + DAY, today + 2 * DAY];
    case "LAST_N_DAYS":
      return [today - lit.n * DAY, today + DAY];
    default:
      return [today + DAY, today + (lit.n + 1) * DAY]; // NEXT_N_DAYS
  }
}

function compareValues(a: Value, b: Value, nullsLast: boolean, desc: boolean): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    return (a === null) === nullsLast ? 1 : -1;
  }
  const x = typeof a === "string" ? a.toLowerCase() : a;
  const y = typeof b === "string" ? b.toLowerCase() : b;
  const c = x < y ? -1 : x > y ? 1 : 0;
  return desc ? -c : c;
}

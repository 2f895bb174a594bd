/**
 * A small SOQL parser: SELECT field, … | COUNT() FROM object [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n],
 * with AND / OR / NOT, =, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN, string / number / boolean / null
 * literals, date (2024-01-31) and datetime (2024-01-31T10:00:00Z, …00.000+01:00) literals and the date
 * literals TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n.
 *
 * Docs: SOQL and SOSL Reference — "SOQL SELECT Syntax", "Comparison Operators", "Logical Operators",
 * "Date Formats and Date Literals", "ORDER BY", "LIMIT", "OFFSET", "COUNT()". Syntax errors are
 * MALFORMED_QUERY with Salesforce's "ERROR at Row:r:Column:c" pointer (REST API Developer Guide, "Query":
 * "If the SOQL query string is invalid, a MALFORMED_QUERY response is returned").
 */
import { SalesforceError } from "./errors.ts";

export type Literal =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "date"; value: string }
  | { kind: "datetime"; value: string }
  | { kind: "dateLiteral"; name: string; n: number };

export type Cond =
  | { kind: "and"; left: Cond; right: Cond }
  | { kind: "or"; left: Cond; right: Cond }
  | { kind: "not"; cond: Cond }
  | { kind: "cmp"; field: Ident; op: string; value: Literal }
  | { kind: "in"; field: Ident; negated: boolean; values: Literal[] };

export interface Ident {
  name: string;
  pos: number;
}

export interface SelectAst {
  count: boolean;
  fields: Ident[];
  object: Ident;
  where?: Cond;
  orderBy: { field: Ident; desc: boolean; nullsLast: boolean }[];
  limit?: number;
  offset?: number;
}

interface Tok {
  t: "ident" | "string" | "number" | "date" | "datetime" | "op" | "punct" | "eof";
  v: string;
  pos: number;
}

const TOKEN_RE =
  /\s*(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))|(\d{4}-\d{2}-\d{2})(?![\d:T])|('(?:\\.|[^'\\])*')|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_.]*)|(!=|<>|<=|>=|=|<|>)|([(),:]))/y;

/** Salesforce's error text: the query, a caret under the column, and "ERROR at Row:r:Column:c". */
export function queryError(errorCode: string, q: string, pos: number, msg: string): SalesforceError {
  const before = q.slice(0, pos).split("\n");
  const row = before.length;
  const col = before[before.length - 1]!.length + 1;
  const line = q.split("\n")[row - 1] ?? "";
  return new SalesforceError(
    400,
    errorCode,
    `\n${line}\n${" ".repeat(col - 1)}^\nERROR at Row:${row}:Column:${col}\n${msg}`,
  );
}

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  TOKEN_RE.lastIndex = 0;
  let at = 0;
  while (true) {
    const rest = q.slice(at);
    if (rest.trim() === "") break;
    TOKEN_RE.lastIndex = at;
    const m = TOKEN_RE.exec(q);
    if (!m) {
      const pos = at + (rest.length - rest.trimStart().length);
      throw queryError("MALFORMED_QUERY", q, pos, `unexpected token: '${q.slice(pos, pos + 1)}'`);
    }
    const pos = m.index + (m[0].length - m[0].trimStart().length);
    const [, dt, d, s, n, id, op, p] = m;
    if (dt) out.push({ t: "datetime", v: dt, pos });
    else if (d) out.push({ t: "date", v: d, pos });
    else if (s)
      out.push({
        t: "string",
        v: s.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t" })[c] ?? c),
        pos,
      });
    else if (n) out.push({ t: "number", v: n, pos });
    else if (id) out.push({ t: "ident", v: id, pos });
    else if (op) out.push({ t: "op", v: op, pos });
    else out.push({ t: "punct", v: p!, pos });
    at = TOKEN_RE.lastIndex;
  }
  out.push({ t: "eof", v: "", pos: q.length });
  return out;
}

const KEYWORDS = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "IN",
  "LIKE",
  "ORDER",
  "BY",
  "LIMIT",
  "OFFSET",
  "ASC",
  "DESC",
  "NULLS",
  "FIRST",
  "LAST",
]);
const DATE_LITERALS = new Set(["TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS"]);

export function parseSoql(q: string): SelectAst {
  const toks = tokenize(q);
  let i = 0;
  const peek = (): Tok => toks[i]!;
  const next = (): Tok => toks[i++]!;
  const fail = (tok: Tok, msg?: string): never => {
    throw queryError(
      "MALFORMED_QUERY",
      q,
      tok.pos,
      msg ?? (tok.t === "eof" ? "unexpected end of query" : `unexpected token: '${tok.v}'`),
    );
  };
  const isKw = (kw: string): boolean => peek().t === "ident" && peek().v.toUpperCase() === kw;
  const expectKw = (kw: string): void => {
    if (!isKw(kw)) fail(peek());
    i++;
  };
  const ident = (): Ident => {
    const t = next();
    if (t.t !== "ident" || KEYWORDS.has(t.v.toUpperCase())) fail(t);
    return { name: t.v, pos: t.pos };
  };
  const punct = (p: string): void => {
    const t = next();
    if (t.t !== "punct" || t.v !== p) fail(t);
  };

  expectKw("SELECT");
  let count = false;
  const fields: Ident[] = [];
  if (isKw("COUNT") && toks[i + 1]?.v === "(") {
    i++;
    punct("(");
    punct(")");
    count = true;
  } else {
    do {
      const f = ident();
      if (peek().v === "(")
        fail(
          peek(),
          `the fake Salesforce implements no SOQL function but COUNT(): '${f.name}(' is not supported`,
        );
      fields.push(f);
    } while (peek().v === "," && next());
  }
  expectKw("FROM");
  const object = ident();
  const ast: SelectAst = { count, fields, object, orderBy: [] };

  const literal = (): Literal => {
    const t = next();
    if (t.t === "string") return { kind: "string", value: t.v };
    if (t.t === "number") return { kind: "number", value: Number(t.v) };
    if (t.t === "date") return { kind: "date", value: t.v };
    if (t.t === "datetime") return { kind: "datetime", value: t.v };
    if (t.t === "ident") {
      const up = t.v.toUpperCase();
      if (up === "TRUE" || up === "FALSE") return { kind: "boolean", value: up === "TRUE" };
      if (up === "NULL") return { kind: "null" };
      if (DATE_LITERALS.has(up)) {
        if (up.endsWith("_N_DAYS")) {
          punct(":");
          const n = next();
          if (n.t !== "number" || !/^\d+$/.test(n.v)) fail(n);
          return { kind: "dateLiteral", name: up, n: Number(n.v) };
        }
        return { kind: "dateLiteral", name: up, n: 0 };
      }
    }
    return fail(t);
  };
  const comparison = (): Cond => {
    if (peek().v === "(") {
      next();
      const c = orCond();
      punct(")");
      return c;
    }
    const field = ident();
    let negated = false;
    if (isKw("NOT")) {
      i++;
      negated = true;
      if (!isKw("IN")) fail(peek());
    }
    if (isKw("IN")) {
      i++;
      punct("(");
      const values: Literal[] = [literal()];
      while (peek().v === ",") {
        next();
        values.push(literal());
      }
      punct(")");
      return { kind: "in", field, negated, values };
    }
    if (isKw("LIKE")) {
      i++;
      return { kind: "cmp", field, op: "LIKE", value: literal() };
    }
    const op = next();
    if (op.t !== "op") fail(op);
    return { kind: "cmp", field, op: op.v === "<>" ? "!=" : op.v, value: literal() };
  };
  const notCond = (): Cond => {
    if (isKw("NOT")) {
      i++;
      return { kind: "not", cond: notCond() };
    }
    return comparison();
  };
  const andCond = (): Cond => {
    let left = notCond();
    while (isKw("AND")) {
      i++;
      left = { kind: "and", left, right: notCond() };
    }
    return left;
  };
  const orCond = (): Cond => {
    let left = andCond();
    while (isKw("OR")) {
      i++;
      left = { kind: "or", left, right: andCond() };
    }
    return left;
  };
  const integer = (): number => {
    const t = next();
    if (t.t !== "number" || !/^\d+$/.test(t.v)) fail(t);
    return Number(t.v);
  };

  if (isKw("WHERE")) {
    i++;
    ast.where = orCond();
  }
  if (isKw("ORDER")) {
    i++;
    expectKw("BY");
    do {
      const field = ident();
      let desc = false;
      if (isKw("ASC") || isKw("DESC")) desc = next().v.toUpperCase() === "DESC";
      let nullsLast = desc;
      if (isKw("NULLS")) {
        i++;
        if (!isKw("FIRST") && !isKw("LAST")) fail(peek());
        nullsLast = next().v.toUpperCase() === "LAST";
      }
      ast.orderBy.push({ field, desc, nullsLast });
    } while (peek().v === "," && next());
  }
  if (isKw("LIMIT")) {
    i++;
    ast.limit = integer();
  }
  if (isKw("OFFSET")) {
    i++;
    ast.offset = integer();
  }
  if (peek().t !== "eof") fail(peek());
  return ast;
}

/**
 * Field values: parsing what a client sends (REST JSON, Bulk API 2.0 CSV) into the fake's typed values,
 * and formatting them the way Salesforce answers.
 *
 * Docs: REST API Developer Guide, "sObject Rows" / query examples — JSON datetimes as
 * `2013-05-20T20:49:32.000+0000`, dates as `2013-05-20`, numbers and booleans as JSON numbers/booleans,
 * nulls as null. Bulk API 2.0 Developer Guide, "Valid Date Format in Records" and "Prepare CSV Files":
 * CSV datetimes `yyyy-MM-ddTHH:mm:ss.SSSZ` (also accepted with an offset), dates `yyyy-MM-dd`, booleans
 * true/false, an empty field leaves the value unset and `#N/A` sets it to null.
 * Record-level error codes (REQUIRED_FIELD_MISSING, STRING_TOO_LONG, INVALID_EMAIL_ADDRESS,
 * INVALID_FIELD_FOR_INSERT_UPDATE, INVALID_FIELD, DUPLICATE_VALUE, FIELD_CUSTOM_VALIDATION_EXCEPTION) are
 * the StatusCode values of the SOAP API Developer Guide's "Core Data Types Used in API Calls".
 */
import { normaliseId } from "./ids.ts";
import type { FieldDef } from "./schema.ts";

/** Internal value: datetimes are epoch milliseconds, dates `YYYY-MM-DD` strings. */
export type Value = string | number | boolean | null;

export class RecordError extends Error {
  constructor(
    readonly statusCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})$/;

export function parseDatetime(s: string): number | undefined {
  const m = DATETIME_RE.exec(s);
  if (!m) return undefined;
  const zone = m[4] === "Z" ? "Z" : `${m[4]!.slice(0, 3)}:${m[4]!.slice(-2)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${(m[3] ?? ".000").padEnd(4, "0")}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isDate(s: string): boolean {
  return DATE_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

function invalid(field: FieldDef, raw: unknown, soap: string): RecordError {
  return new RecordError(
    "INVALID_FIELD",
    `Failed to deserialize field ${field.name}: '${String(raw)}' is not a valid value for the type ${soap}`,
    [field.name],
  );
}

/** Parses one incoming value; `undefined` means "leave unset" (a CSV empty field). */
export function parseInput(field: FieldDef, raw: unknown, source: "json" | "csv"): Value | undefined {
  if (source === "csv") {
    if (raw === "") return undefined;
    if (raw === "#N/A") return null;
  }
  if (raw === null) return null;
  switch (field.type) {
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string" && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === "true";
      throw invalid(field, raw, "xsd:boolean");
    case "int": {
      const n =
        typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw invalid(field, raw, "xsd:int");
      return n;
    }
    case "double":
    case "currency":
    case "percent": {
      const n =
        typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw invalid(field, raw, "xsd:double");
      return n;
    }
    case "date":
      if (typeof raw === "string" && isDate(raw)) return raw;
      throw invalid(field, raw, "xsd:date");
    case "datetime": {
      const ms = typeof raw === "string" ? parseDatetime(raw) : undefined;
      if (ms === undefined) throw invalid(field, raw, "xsd:dateTime");
      return ms;
    }
    case "id":
    case "reference": {
      const id = typeof raw === "string" ? normaliseId(raw) : undefined;
      if (!id)
        throw new RecordError("MALFORMED_ID", `${field.label}: id value of incorrect type: ${String(raw)}`, [
          field.name,
        ]);
      return id;
    }
    default: {
      if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean")
        throw invalid(field, raw, "xsd:string");
      const s = String(raw);
      if (field.length && s.length > field.length)
        throw new RecordError(
          "STRING_TOO_LONG",
          `${field.label}: data value too large: ${s.slice(0, 40)} (max length=${field.length})`,
          [field.name],
        );
      if (field.type === "email" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s))
        throw new RecordError("INVALID_EMAIL_ADDRESS", `${field.label}: invalid email address: ${s}`, [
          field.name,
        ]);
      return s;
    }
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

function isoParts(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** REST JSON: `2013-05-20T20:49:32.000+0000`. */
export function formatJson(field: FieldDef, v: Value): Value {
  if (v === null) return null;
  if (field.type === "datetime" && typeof v === "number") return `${isoParts(v)}+0000`;
  return v;
}

/** Bulk API 2.0 CSV: `2013-05-20T20:49:32.000Z`; null is an empty field. */
export function formatCsv(field: FieldDef, v: Value): string {
  if (v === null) return "";
  if (field.type === "datetime" && typeof v === "number") return `${isoParts(v)}Z`;
  return String(v);
}

/** Quotes every field, as Bulk API 2.0 query results do (`"Id","Name"`). */
export function csvLine(values: string[]): string {
  return values.map((v) => `"${v.replaceAll('"', '""')}"`).join(",");
}

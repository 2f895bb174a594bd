/**
 * Parsing and conversion of record values. AppFlow data type names are connector-specific
 * (S3: string/integer/double/boolean/date/datetime; Salesforce: int, currency, picklist, ...;
 * Redshift: varchar, bigint, timestamp, ...), so they are folded into a few categories here.
 * A value that can't be read as the wanted type becomes null (see docs/tasks.md).
 */
import type { FieldValue } from "../connectors/types.ts";

export type TypeCategory = "string" | "integer" | "number" | "boolean" | "date" | "datetime" | "other";

const categories: Record<string, TypeCategory> = {};
const add = (category: TypeCategory, names: string[]) => {
  for (const name of names) categories[name] = category;
};
add("string", ["string", "varchar", "char", "character", "character varying", "nvarchar", "text"]);
add("string", ["textarea", "id", "reference", "picklist", "multipicklist", "combobox", "email", "phone"]);
add("string", ["url", "encryptedstring", "uuid", "enum"]);
add("integer", [
  "int",
  "integer",
  "long",
  "bigint",
  "smallint",
  "short",
  "byte",
  "tinyint",
  "int32",
  "int64",
]);
add("number", [
  "double",
  "float",
  "decimal",
  "numeric",
  "number",
  "currency",
  "percent",
  "real",
  "bigdecimal",
]);
add("boolean", ["boolean", "bool", "checkbox"]);
add("date", ["date"]);
add("datetime", ["datetime", "timestamp", "timestamptz", "timestamp with time zone", "instant"]);

/** The category of an AppFlow data type name; unknown names are "other" (values pass unchanged). */
export function typeCategory(dataType: string | undefined): TypeCategory {
  if (dataType === undefined) return "other";
  return categories[dataType.trim().toLowerCase()] ?? "other";
}

/**
 * Reads a number. Strings are parsed as decimal numbers (surrounding blanks allowed; empty, hex,
 * binary, octal, Infinity and thousands separators are not numbers). Booleans are not numbers.
 */
export function toNumber(v: FieldValue): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string") return null;
  const n = Number(v);
  if (!Number.isFinite(n)) return null;
  if (n === 0 && v.trim() === "") return null;
  // Number() also accepts 0x1F / 0b1 / 0o7: a letter in second place marks those.
  const t = v.charCodeAt(0) <= 32 ? v.trim() : v;
  if (
    t.length > 2 &&
    t.charCodeAt(0) === 48 &&
    ((t.charCodeAt(1) | 32) === 120 || (t.charCodeAt(1) | 32) === 98 || (t.charCodeAt(1) | 32) === 111)
  ) {
    return null;
  }
  return n;
}

export function toBoolean(v: FieldValue): boolean | null {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v !== 0 : null;
  if (typeof v !== "string") return null;
  switch (v.trim().toLowerCase()) {
    case "true":
    case "1":
      return true;
    case "false":
    case "0":
      return false;
    default:
      return null;
  }
}

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Reads a point in time as epoch milliseconds: numbers and all-digit strings are epoch
 * milliseconds; strings in ISO 8601 form (`2024-05-01`, `2024-05-01T10:20:30.123+02:00`, a space
 * instead of T) are read with no time zone meaning UTC. Anything else is null.
 */
export function toEpochMillis(v: FieldValue): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v !== "string") return null;
  const s = v.trim();
  if (/^-?\d+$/.test(s)) return Number(s);
  const m = isoPattern.exec(s);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2023-02-30 over into March: a date that doesn't exist is not a date.
  if (new Date(t).getUTCDate() !== day) return null;
  return t - offsetMillis(m[8]);
}

function offsetMillis(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

const millisPerDay = 86_400_000;

/** Midnight UTC of the day a time falls on. */
export function startOfUtcDay(t: number): number {
  return Math.floor(t / millisPerDay) * millisPerDay;
}

function formatDate(t: number): string | null {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().slice(0, 10);
}

function formatDateTime(t: number): string | null {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export type Converter = (v: FieldValue) => FieldValue;

/**
 * The Map conversion from SOURCE_DATA_TYPE to DESTINATION_DATA_TYPE, or null when values pass
 * unchanged (no destination type, an unknown one, or the same category as the source).
 */
export function converterFor(
  sourceType: string | undefined,
  destinationType: string | undefined,
): Converter | null {
  const from = typeCategory(sourceType);
  const to = typeCategory(destinationType);
  if (to === "other") return null;
  if (to === from && to !== "integer") return sameCategory[to] ?? null;
  switch (to) {
    case "string":
      if (from === "date")
        return (v) => (typeof v === "string" || v === null ? v : dateOrString(v, formatDate));
      if (from === "datetime")
        return (v) => (typeof v === "string" || v === null ? v : dateOrString(v, formatDateTime));
      return toStringValue;
    case "integer":
      return toIntegerValue;
    case "number":
      return toNumber;
    case "boolean":
      return toBoolean;
    case "date":
      return (v) => {
        const t = toEpochMillis(v);
        return t === null ? null : formatDate(t);
      };
    case "datetime":
      return (v) => {
        const t = toEpochMillis(v);
        return t === null ? null : formatDateTime(t);
      };
  }
}

const sameCategory: Partial<Record<TypeCategory, Converter>> = {
  // Same category still normalises the representation (a JSON number declared as a string).
  string: toStringValue,
  number: toNumber,
  boolean: toBoolean,
};

function dateOrString(v: FieldValue, format: (t: number) => string | null): FieldValue {
  const t = toEpochMillis(v);
  return t === null ? String(v) : format(t);
}

function toStringValue(v: FieldValue): FieldValue {
  return typeof v === "string" || v === null ? v : String(v);
}

/** Converters that return every string unchanged: the row loop skips calling them for strings. */
export const keepsStrings: ReadonlySet<Converter> = new Set([toStringValue]);

/** Integers truncate toward zero, as a cast does: "3.9" → 3, -2.5 → -2. */
function toIntegerValue(v: FieldValue): FieldValue {
  if (typeof v === "boolean") return v ? 1 : 0;
  const n = toNumber(v);
  if (n === null) return null;
  const i = Math.trunc(n);
  return Object.is(i, -0) ? 0 : i;
}

/** The text of a value for string operations (CONTAINS, Merge, Mask, string comparisons). */
export function toText(v: FieldValue): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : String(v);
}

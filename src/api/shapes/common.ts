/**
 * Builders over zod that give every rule our own message ("must be at most 100 items", ...), so a
 * ValidationException always names the member path and the rule it broke, in the words AWS uses.
 * Patterns are anchored full matches, as the AppFlow service applies them.
 */
import { z } from "zod";

const REQUIRED = "is required";

export interface StrRules {
  min?: number;
  max?: number;
  /** The model's pattern, matched against the whole value. */
  pattern?: string;
  /** Our JS spelling of the pattern when the model's can't compile as-is; messages keep the model's. */
  jsPattern?: RegExp;
}

export function str(rules: StrRules = {}) {
  let s = z.string({ required_error: REQUIRED, invalid_type_error: "must be a string" });
  if (rules.min !== undefined && rules.min > 0) {
    s = s.min(rules.min, `must be at least ${rules.min} character${rules.min === 1 ? "" : "s"}`);
  }
  if (rules.max !== undefined) s = s.max(rules.max, `must be at most ${rules.max} characters`);
  if (rules.pattern !== undefined) {
    const re = rules.jsPattern ?? new RegExp(`^(?:${rules.pattern})$`);
    s = s.regex(re, `must match pattern ${rules.pattern}`);
  }
  return s;
}

/** A string enum: the value must be one of `values` (listed in the message, as AWS does). */
export function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  const set = new Set<string>(values);
  return z
    .string({ required_error: REQUIRED, invalid_type_error: "must be a string" })
    .superRefine((v, ctx): v is T[number] => {
      if (set.has(v)) return true;
      // fatal: later refinements (e.g. "not supported") must not run on a value outside the enum.
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be one of ${values.join(", ")}`,
        fatal: true,
      });
      return false;
    });
}

export function int(range: { min?: number; max?: number } = {}) {
  let n = z
    .number({ required_error: REQUIRED, invalid_type_error: "must be an integer" })
    .int("must be an integer");
  if (range.min !== undefined) n = n.gte(range.min, `must be at least ${range.min}`);
  if (range.max !== undefined) n = n.lte(range.max, `must be at most ${range.max}`);
  return n;
}

/** A model `long`: JSON numbers beyond 2^53 can't be represented exactly, so we refuse them. */
export function long(range: { min?: number; max?: number } = {}) {
  return int({
    min: range.min ?? Number.MIN_SAFE_INTEGER,
    max: range.max ?? Number.MAX_SAFE_INTEGER,
  });
}

export function bool() {
  return z.boolean({ required_error: REQUIRED, invalid_type_error: "must be a boolean" });
}

// An ISO-8601 date or date-time; a time needs a zone, so the instant doesn't depend on the server's zone.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2}))?$/;
const TIMESTAMP_RULE = "must be a timestamp (epoch seconds or an ISO-8601 string)";

/** A model `timestamp`: the SDKs send epoch seconds; ISO-8601 strings are accepted too. Output: epoch seconds. */
export function timestamp() {
  return z
    .union([z.number(), z.string()], {
      errorMap: (_issue, ctx) => ({ message: ctx.data === undefined ? REQUIRED : TIMESTAMP_RULE }),
    })
    .transform((v, ctx) => {
      if (typeof v === "number") {
        if (Number.isFinite(v)) return v;
      } else if (ISO_8601.test(v)) {
        const ms = Date.parse(v.replace(" ", "T").replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
        if (Number.isFinite(ms)) return ms / 1000;
      }
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: TIMESTAMP_RULE });
      return z.NEVER;
    });
}

export function list<T extends z.ZodTypeAny>(item: T, size: { min?: number; max?: number } = {}) {
  let l = z.array(item, { required_error: REQUIRED, invalid_type_error: "must be a list" });
  if (size.min !== undefined && size.min > 0) l = l.min(size.min, `must have at least ${size.min} items`);
  if (size.max !== undefined) l = l.max(size.max, `must have at most ${size.max} items`);
  return l;
}

export function struct<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape, { required_error: REQUIRED, invalid_type_error: "must be an object" });
}

/** A member of the model that this server doesn't implement: accepted only when absent. */
export function unsupportedMember(message: string) {
  return z.undefined({ errorMap: () => ({ message }) }).optional();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A model `map` of string to string. Written by hand rather than with z.record so that every key is
 * checked with the key's own rules and keys such as `__proto__` are copied as data, not as prototypes.
 */
export function stringMap(
  key: z.ZodType<string, z.ZodTypeDef, unknown>,
  value: z.ZodType<string, z.ZodTypeDef, unknown>,
  size: { min?: number; max?: number } = {},
) {
  return z
    .custom<Record<string, unknown>>(isPlainObject, (data: unknown) => ({
      message: data === undefined ? REQUIRED : "must be a map (a JSON object)",
    }))
    .transform((m, ctx) => {
      const entries = Object.entries(m);
      if (size.max !== undefined && entries.length > size.max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must have at most ${size.max} entries` });
        return z.NEVER;
      }
      if (size.min !== undefined && entries.length < size.min) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must have at least ${size.min} entries` });
        return z.NEVER;
      }
      const out: [string, string][] = [];
      for (const [k, v] of entries) {
        const kr = key.safeParse(k);
        if (!kr.success) {
          const why = kr.error.issues[0]?.message ?? "is not allowed";
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `key ${JSON.stringify(k)} ${why}` });
          continue;
        }
        const vr = value.safeParse(v);
        if (!vr.success) {
          for (const i of vr.error.issues) ctx.addIssue({ ...i, path: [k, ...i.path] } as z.IssueData);
          continue;
        }
        out.push([k, vr.data]);
      }
      return Object.fromEntries(out);
    });
}

/**
 * JSON `null` members mean "not set" on the wire, as they do for AWS; drop them so optional members
 * stay optional. List items keep their nulls and are rejected by the item's rules. Object.fromEntries
 * keeps a `__proto__` key as plain data.
 */
export function dropNullMembers(v: unknown, depth = 0): unknown {
  if (depth > 64) return v;
  if (Array.isArray(v)) return v.map((x) => dropNullMembers(x, depth + 1));
  if (isPlainObject(v)) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, dropNullMembers(x, depth + 1)]),
    );
  }
  return v;
}

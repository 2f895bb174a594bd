/**
 * The kinds of value a setting can hold: each gives the schema that validates it, how a string from a
 * flag or the environment becomes a value, and the allowed values in words (for errors and `--help`).
 */
import { z } from "zod";

export interface Kind {
  schema: z.ZodTypeAny;
  parse: (raw: string) => unknown;
  allowed: string;
  /** Never echo the value (in errors, logs or help). */
  secret?: boolean;
  /** How to show a bad value in an error (e.g. a URL without its password). */
  show?: (raw: string) => string;
}

export interface Setting extends Kind {
  flag?: string;
  /** Environment variables, the first one set wins. */
  env?: string[];
  default?: unknown;
  doc: string;
}

/** setTimeout's limit: a longer delay overflows and fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function int(min: number, max: number): Kind {
  return {
    schema: z.number().int().min(min).max(max),
    // Number("") is 0 and Number("1e3") is 1000: accept plain decimal integers only.
    parse: (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN),
    allowed: `an integer from ${min} to ${max}`,
  };
}

export function ms(min: number): Kind {
  return { ...int(min, MAX_TIMER_MS), allowed: `milliseconds, an integer from ${min} to ${MAX_TIMER_MS}` };
}

export function text(pattern?: RegExp, what = "a non-empty string"): Kind {
  const base = z.string().min(1);
  return { schema: pattern ? base.regex(pattern) : base, parse: (raw) => raw, allowed: what };
}

export function secret(pattern?: RegExp, what = "a non-empty string"): Kind {
  return { ...text(pattern, what), secret: true };
}

export function oneOf(values: readonly [string, ...string[]]): Kind {
  return { schema: z.enum(values), parse: (raw) => raw.trim(), allowed: `one of ${values.join(", ")}` };
}

export function url(schemes: string[]): Kind {
  const ok = (u: string) => URL.canParse(u) && schemes.includes(new URL(u).protocol);
  return {
    schema: z.string().refine(ok),
    parse: (raw) => raw.trim(),
    // A URL may carry a password: never echo its user info.
    show: (raw) => raw.replace(/\/\/[^/@]*@/, "//…@"),
    allowed: `a URL starting ${schemes.map((s) => `${s}//`).join(" or ")}`,
  };
}

/** Several values: an array (flags, overrides) or comma-separated (the environment). */
export function list(of: Kind): Kind {
  return {
    schema: z.array(of.schema),
    parse: (raw) =>
      raw
        .split(",")
        .map((v) => of.parse(v))
        .filter((v) => v !== ""),
    allowed: `a list of ${of.allowed.replace(/^an? /, "")}s`,
  };
}

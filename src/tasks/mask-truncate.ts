/**
 * Mask and Truncate rewrite a source field in place, so every mapping that reads the field sees
 * the new value. Lengths count characters (Unicode code points), not UTF-16 units, so an emoji is
 * never split in half.
 */
import type { FieldValue } from "../connectors/types.ts";
import type { MaskOperator } from "./operators.ts";
import type { TransformStep } from "./spec.ts";
import { countProp, fail, type IndexedTask, prop, sourceFieldsAtLeast } from "./task-properties.ts";
import type { Converter } from "./values.ts";

const surrogate = /[\uD800-\uDFFF]/;

function charCount(s: string): number {
  return surrogate.test(s) ? [...s].length : s.length;
}

/** The first `n` characters of `s`. */
function head(s: string, n: number): string {
  if (!surrogate.test(s)) return s.slice(0, n);
  return [...s].slice(0, n).join("");
}

/** The characters with index in [from, to) replaced by `mask` (the slow path, for non-BMP text). */
function maskChars(chars: string[], from: number, to: number, mask: string): string {
  const start = Math.max(0, from);
  const end = Math.min(chars.length, to);
  for (let i = start; i < end; i++) chars[i] = mask;
  return chars.join("");
}

/** What a Mask converter does, for the byte transcoder, which masks ASCII values without decoding them. */
export interface MaskSpec {
  operator: MaskOperator;
  /** MASK_LENGTH (0 for MASK_ALL). */
  n: number;
  /** The one mask character. */
  mask: string;
}

const masks_ = new WeakMap<Converter, MaskSpec>();

/** The Mask a converter made by compileMask applies; undefined for any other converter. */
export function maskSpecOf(fn: Converter): MaskSpec | undefined {
  return masks_.get(fn);
}

export function compileMask(at: IndexedTask, operator: MaskOperator): TransformStep[] {
  const mask = prop(at, "MASK_VALUE") ?? "*";
  if ([...mask].length !== 1)
    fail(at, "taskProperties.MASK_VALUE", `must be a single character; got '${mask}'`);
  // MASK_ALL ignores MASK_LENGTH (the console sends one anyway), but a bad one is still an error.
  const n =
    operator === "MASK_ALL"
      ? prop(at, "MASK_LENGTH") === undefined
        ? 0
        : countProp(at, "MASK_LENGTH", "")
      : countProp(at, "MASK_LENGTH", `for ${operator}`);
  const masks = maskCache(mask);
  let fn: (s: string) => string;
  switch (operator) {
    case "MASK_ALL":
      fn = (s) => masks(charCount(s));
      break;
    case "MASK_FIRST_N":
      fn = (s) => {
        if (surrogate.test(s)) return maskChars([...s], 0, n, mask);
        return s.length <= n ? masks(s.length) : masks(n) + s.slice(n);
      };
      break;
    case "MASK_LAST_N":
      fn = (s) => {
        if (surrogate.test(s)) {
          const chars = [...s];
          return maskChars(chars, chars.length - n, chars.length, mask);
        }
        return s.length <= n ? masks(s.length) : s.slice(0, s.length - n) + masks(n);
      };
      break;
  }
  const convert: Converter = (v: FieldValue) => {
    if (v === null || v === undefined) return null;
    return fn(typeof v === "string" ? v : String(v));
  };
  masks_.set(convert, { operator, n, mask });
  return sourceFieldsAtLeast(at, 1).map((field) => ({ field, fn: convert }));
}

/** `mask` repeated k times, remembered for the short lengths real values have. */
function maskCache(mask: string): (k: number) => string {
  const cache: string[] = [];
  return (k) => {
    if (k > 256) return mask.repeat(k);
    let s = cache[k];
    if (s === undefined) {
      s = mask.repeat(k);
      cache[k] = s;
    }
    return s;
  };
}

/** Truncate shortens text values to TRUNCATE_LENGTH characters; numbers and booleans are left alone. */
export function compileTruncate(at: IndexedTask): TransformStep[] {
  const n = countProp(at, "TRUNCATE_LENGTH", "for a Truncate task");
  const fn: Converter = (v) => (typeof v === "string" && v.length > n ? head(v, n) : v);
  return sourceFieldsAtLeast(at, 1).map((field) => ({ field, fn }));
}

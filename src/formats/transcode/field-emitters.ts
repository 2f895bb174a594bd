/**
 * How each EncodedFormat writes one field, from a CSV field's bytes (`src[s..e)`, with `""` escapes when
 * it was quoted) or from a value a task computed. Every rule is the one the format's own encoder applies
 * to the same string (jsonl-writer, csv-writer, copy-batch copyText, parquet-duckdb-writer), so the fast
 * path writes the same bytes as the general one; the transcoder's tests compare the two.
 */
import type { EncodedFormat, FieldValue } from "../../connectors/types.ts";
import { csvField } from "../csv-writer.ts";
import { stagedField } from "../staged-field.ts";
import { jsonByte } from "./byte-copy.ts";
import type { OutBuffer } from "./out-buffer.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;

export interface FieldEmitter {
  /** A CSV field's bytes; `quoted`: they sit between quotes and hold `""` for each quote. */
  raw(out: OutBuffer, src: Uint8Array, s: number, e: number, quoted: boolean): void;
  /** A value a task computed (or null for a missing field). */
  value(out: OutBuffer, v: FieldValue): void;
  /**
   * An ASCII field without quotes inside, masked: `head` mask characters, the bytes in between, `tail`
   * mask characters (Mask on bytes: one character per byte). Formats that decide quoting from the
   * whole value (CSV) don't have it; their Masks go through value().
   */
  masked?(
    out: OutBuffer,
    src: Uint8Array,
    s: number,
    e: number,
    head: number,
    tail: number,
    mask: Buffer,
  ): void;
}

function putMask(out: OutBuffer, mask: Buffer, count: number): void {
  out.ensure(mask.length * count);
  for (let k = 0; k < count; k++) {
    for (let j = 0; j < mask.length; j++) out.buf[out.pos++] = mask[j]!;
  }
}

/** JSON string contents, as JSON.stringify escapes them (valid UTF-8 holds no lone surrogate). */
function jsonBody(out: OutBuffer, src: Uint8Array, s: number, e: number, quoted: boolean): void {
  out.ensure((e - s) * 6);
  const b = out.buf;
  let o = out.pos;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
      b[o++] = c;
      continue;
    }
    o = jsonByte(b, o, c);
    if (c === QUOTE && quoted) i++; // the second quote of a `""` pair
  }
  out.pos = o;
}

function putByte(out: OutBuffer, c: number): void {
  out.ensure(1);
  out.buf[out.pos++] = c;
}

const jsonl: FieldEmitter = {
  raw(out, src, s, e, quoted) {
    putByte(out, QUOTE);
    jsonBody(out, src, s, e, quoted);
    putByte(out, QUOTE);
  },
  value(out, v) {
    out.putString(JSON.stringify(v));
  },
  masked(out, src, s, e, head, tail, mask) {
    putByte(out, QUOTE);
    putMask(out, mask, head);
    jsonBody(out, src, s + head, e - tail, false);
    putMask(out, mask, tail);
    putByte(out, QUOTE);
  },
};

/** Whether the field's text must be quoted in CSV: a quote, comma or line break, or space at an end. */
function csvNeedsQuotes(src: Uint8Array, s: number, e: number): boolean {
  if (src[s]! <= 32 || src[e - 1]! <= 32) return true;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c === QUOTE || c === COMMA || c === LF || c === CR) return true;
  }
  return false;
}

/** Writes the field quoted, each quote doubled (a quoted source field has them doubled already). */
function putQuoted(out: OutBuffer, src: Uint8Array, s: number, e: number, quoted: boolean): void {
  out.ensure((e - s) * 2 + 2);
  const b = out.buf;
  let o = out.pos;
  b[o++] = QUOTE;
  if (quoted) {
    b.set(src.subarray(s, e), o);
    o += e - s;
  } else {
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      b[o++] = c;
      if (c === QUOTE) b[o++] = QUOTE;
    }
  }
  b[o++] = QUOTE;
  out.pos = o;
}

function putBytes(out: OutBuffer, src: Uint8Array, s: number, e: number): void {
  const n = e - s;
  out.ensure(n);
  const b = out.buf;
  let o = out.pos;
  if (n > 32) b.set(src.subarray(s, e), o);
  else for (let i = s; i < e; i++) b[o++] = src[i]!;
  out.pos = out.pos + n;
}

/** CsvEncoder: empty and null are an empty field. */
const csv: FieldEmitter = {
  raw(out, src, s, e, quoted) {
    if (s === e) return;
    if (csvNeedsQuotes(src, s, e)) putQuoted(out, src, s, e, quoted);
    else putBytes(out, src, s, e);
  },
  value(out, v) {
    out.putString(csvField(v));
  },
};

/** DuckDB's staged CSV: null is an empty field, "" a quoted empty one. */
const stagingCsv: FieldEmitter = {
  raw(out, src, s, e, quoted) {
    if (s === e) {
      out.ensure(2);
      out.buf[out.pos++] = QUOTE;
      out.buf[out.pos++] = QUOTE;
    } else if (csvNeedsQuotes(src, s, e)) putQuoted(out, src, s, e, quoted);
    else putBytes(out, src, s, e);
  },
  value(out, v) {
    if (v !== null) out.putString(stagedField(typeof v === "string" ? v : String(v)));
  },
};

const copyEscapes = /[\\\t\n\r]/g;
const copyEscaped: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** COPY text: backslash, tab, CR and LF escaped; null is \N. */
const copyText: FieldEmitter = {
  raw(out, src, s, e, quoted) {
    out.ensure((e - s) * 2);
    const b = out.buf;
    let o = out.pos;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      if (c > BACKSLASH || (c !== BACKSLASH && c !== QUOTE && c > CR)) {
        b[o++] = c;
        continue;
      }
      if (c === QUOTE) {
        b[o++] = c;
        if (quoted) i++;
      } else if (c === BACKSLASH) {
        b[o++] = BACKSLASH;
        b[o++] = BACKSLASH;
      } else if (c === TAB) {
        b[o++] = BACKSLASH;
        b[o++] = 0x74;
      } else if (c === LF) {
        b[o++] = BACKSLASH;
        b[o++] = 0x6e;
      } else if (c === CR) {
        b[o++] = BACKSLASH;
        b[o++] = 0x72;
      } else b[o++] = c;
    }
    out.pos = o;
  },
  value(out, v) {
    if (v === null) {
      out.putString("\\N");
      return;
    }
    const t = typeof v === "string" ? v : String(v);
    out.putString(t.replace(copyEscapes, (c) => copyEscaped[c]!));
  },
  masked(out, src, s, e, head, tail, mask) {
    putMask(out, mask, head);
    copyText.raw(out, src, s + head, e - tail, false);
    putMask(out, mask, tail);
  },
};

export const emitters: Record<EncodedFormat, FieldEmitter> = {
  jsonl,
  csv,
  "staging-csv": stagingCsv,
  "copy-text": copyText,
};

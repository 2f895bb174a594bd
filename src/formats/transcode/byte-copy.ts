/**
 * The byte-level pieces of the fused writers (fused-records.ts): one byte escaped as JSON or COPY text
 * escapes it, a word-at-a-time copy of bytes that need nothing, and a byte Mask. Each writes into a
 * buffer the caller has made room in, and returns where its output ends.
 */
import { type ByteMask, maskHead, maskTail } from "./column-writer.ts";
import { BACKSLASH, COMMA, CR, LF, QUOTE } from "./record-scan.ts";

const TAB = 0x09;
const HEX = "0123456789abcdef";
// plainWords' `comma` argument: commas end an unquoted field; inside quotes, test quotes (again) instead.
export const COMMAS = 0x2c2c2c2c;
export const QUOTES = 0x22222222;

/** A byte JSON.stringify escapes (or a comma, copied), also jsonBody's escapes in field-emitters.ts. */
export function jsonByte(b: Buffer, o: number, c: number): number {
  if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
    b[o] = c;
    return o + 1;
  }
  b[o++] = BACKSLASH;
  if (c === QUOTE || c === BACKSLASH) b[o++] = c;
  else if (c === LF) b[o++] = 0x6e;
  else if (c === CR) b[o++] = 0x72;
  else if (c === TAB) b[o++] = 0x74;
  else if (c === 0x08) b[o++] = 0x62;
  else if (c === 0x0c) b[o++] = 0x66;
  else {
    b[o++] = 0x75;
    b[o++] = 0x30;
    b[o++] = 0x30;
    b[o++] = HEX.charCodeAt(c >> 4);
    b[o++] = HEX.charCodeAt(c & 15);
  }
  return o;
}

/** A byte COPY text escapes (backslash, tab, CR, LF), or any other low byte, copied. */
export function copyByte(b: Buffer, o: number, c: number): number {
  if (c === BACKSLASH || c === TAB || c === LF || c === CR) {
    b[o++] = BACKSLASH;
    b[o++] = c === BACKSLASH ? BACKSLASH : c === TAB ? 0x74 : c === LF ? 0x6e : 0x72;
    return o;
  }
  b[o] = c;
  return o + 1;
}

/**
 * Copies `src` from `i` to `out` at `o` four bytes at a time up to the first byte that can be special —
 * below 0x20, a quote, a backslash, or (`comma`, outside quotes) a comma — and returns how many bytes
 * before it it copied (a last word is written whole: the bytes after the count are written again).
 * Word at a time is what makes the copy cheaper than a byte loop. The tests are SWAR ones:
 * `(v - 0x01…) & ~v & 0x80…` sets the top bit of a byte of v that is 0 (v = w ^ a byte repeated),
 * `(w - 0x20…) & ~w & 0x80…` of a byte of w below 0x20; above a hit a bit may be set wrongly, so the
 * lowest set bit is the first special byte.
 */
export function plainWords(
  sv: DataView,
  ov: DataView,
  i: number,
  o: number,
  stop: number,
  comma: number,
): number {
  let n = 0;
  while (i + n + 4 <= stop) {
    const w = sv.getInt32(i + n, true);
    ov.setInt32(o + n, w, true);
    const q = w ^ 0x22222222;
    const x = w ^ 0x5c5c5c5c;
    const k = w ^ comma;
    const hit = ((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((x - 0x01010101) & ~x);
    const m = (hit | ((k - 0x01010101) & ~k)) & 0x80808080;
    if (m !== 0) return n + ((31 - Math.clz32(m & -m)) >> 3);
    n += 4;
  }
  return n;
}

/**
 * A Mask on an ASCII field without quotes, as ColumnWriter.write does it (head mask characters, the
 * bytes between escaped, tail mask characters, quoted in JSON); room: `(e - s) × (mask + 6) + 2`.
 */
export function writeMasked(
  b: Buffer,
  ov: DataView,
  o: number,
  src: Buffer,
  sv: DataView,
  s: number,
  e: number,
  m: ByteMask,
  jsonl: boolean,
): number {
  const mask = m.bytes;
  const head = maskHead(m, e - s);
  const tail = maskTail(m, e - s);
  if (jsonl) b[o++] = QUOTE;
  for (let h = 0; h < head; h++) for (let j = 0; j < mask.length; j++) b[o++] = mask[j]!;
  for (let j = s + head; j < e - tail; ) {
    const n = plainWords(sv, ov, j, o, e - tail, COMMAS);
    j += n;
    o += n;
    if (j < e - tail) o = jsonl ? jsonByte(b, o, src[j++]!) : copyByte(b, o, src[j++]!);
  }
  for (let h = 0; h < tail; h++) for (let j = 0; j < mask.length; j++) b[o++] = mask[j]!;
  if (jsonl) b[o++] = QUOTE;
  return o;
}

/** JSON lines' key glue for each column, packed by jsonGlue. */
export interface JsonGlue {
  len: Int32Array;
  /** Column k's words are `words[at[k]..at[k + 1])`. */
  at: Int32Array;
  words: Int32Array;
}

/**
 * Each column's key (`{"a":`, `,"b":`) with the opening quote of a column without steps (the ColumnWriter
 * quotes the others), as 4-byte words, the last one padded (the bytes after the key are overwritten
 * later), so that a key costs a few stores; room for one: its length rounded up to 4.
 */
export function jsonGlue(keys: readonly Buffer[], stepped: Uint8Array): JsonGlue {
  const glue = keys.map((k, i) => (stepped[i] === 1 ? k : Buffer.concat([k, Buffer.from('"')])));
  const at = new Int32Array(glue.length + 1);
  glue.forEach((g, i) => {
    at[i + 1] = at[i]! + ((g.length + 3) >> 2);
  });
  const words = new Int32Array(at[glue.length]!);
  glue.forEach((g, i) => {
    const padded = Buffer.alloc((g.length + 3) & ~3);
    g.copy(padded);
    for (let j = 0; j < padded.length; j += 4) words[at[i]! + (j >> 2)] = padded.readInt32LE(j);
  });
  return { len: Int32Array.from(glue, (g) => g.length), at, words };
}

/** A zero byte in `v` sets its top bit (and maybe higher bytes'): the SWAR test above. */
const zeroByte = (v: number): number => (v - 0x01010101) & ~v;

/**
 * The first comma, LF, quote or CR in `src[i..stop)` (or `stop`): the bytes a CSV scanner must look at,
 * found four at a time.
 */
export function nextSpecial(src: Buffer, sv: DataView, i: number, stop: number): number {
  while (i + 4 <= stop) {
    const w = sv.getInt32(i, true);
    const hit =
      zeroByte(w ^ COMMAS) | zeroByte(w ^ 0x0a0a0a0a) | zeroByte(w ^ QUOTES) | zeroByte(w ^ 0x0d0d0d0d);
    const m = hit & 0x80808080;
    if (m !== 0) return i + ((31 - Math.clz32(m & -m)) >> 3);
    i += 4;
  }
  while (i < stop) {
    const c = src[i]!;
    if (c === COMMA || c === LF || c === QUOTE || c === CR) return i;
    i++;
  }
  return stop;
}

/**
 * The general record scanner: one CSV record's field boundaries, by csv-parse.ts's rules exactly (`"`
 * quoting with `""` escapes, LF or CRLF line ends, a lone CR at the input's end a blank line). It is the
 * reference the fused and verbatim writers (fused-records.ts, verbatim-records.ts) fall back on for any
 * record they don't handle, so every error the transcoder reports comes from here or the driver.
 */

export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const LF = 0x0a;
export const CR = 0x0d;
export const BACKSLASH = 0x5c;

/** A record of the chunk the general reader would refuse; `record` counts the chunk's records from 1. */
export class ChunkRecordError extends Error {
  constructor(
    readonly record: number,
    readonly kind: "fields" | "syntax" | "too-long",
    message: string,
    /** For "fields": how many the record has. */
    readonly fieldCount = 0,
  ) {
    super(message);
  }
}

/** One record's fields (the first `width + 1` of them): `src[starts[i]..ends[i])`, and whether quoted. */
export class FieldSpans {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly quoted: Uint8Array;
  /** How many fields the record has; 0: it was a blank line. */
  n = 0;

  constructor(readonly width: number) {
    this.starts = new Int32Array(width + 1);
    this.ends = new Int32Array(width + 1);
    this.quoted = new Uint8Array(width + 1);
  }

  /** Field `n`'s span (dropped past `width + 1` fields: the count alone is an error then). */
  set(n: number, s: number, e: number, quoted: number): void {
    if (n > this.width) return;
    this.starts[n] = s;
    this.ends[n] = e;
    this.quoted[n] = quoted;
  }
}

/**
 * Scans the record at `pos` (not a blank LF or CRLF line) into `sp`; returns the position after its line
 * end (past `len` when the input ends it). `record` is its number, for a syntax error.
 */
export function scanRecord(src: Buffer, pos: number, len: number, sp: FieldSpans, record: number): number {
  let n = 0;
  for (;;) {
    if (src[pos] === QUOTE) {
      const s = pos + 1;
      let q = s;
      for (;;) {
        q = src.indexOf(QUOTE, q);
        if (q < 0) throw new ChunkRecordError(record, "syntax", "unterminated quoted field");
        if (src[q + 1] === QUOTE) q += 2;
        else break;
      }
      sp.set(n++, s, q, 1);
      const after = src[q + 1];
      if (after === COMMA) {
        pos = q + 2;
        if (pos === len) {
          sp.set(n++, pos, pos, 0);
          break;
        }
        continue;
      }
      if (after === LF || q + 1 === len) pos = q + 2;
      else if (after === CR && (src[q + 2] === LF || q + 2 === len)) pos = q + 3;
      else throw new ChunkRecordError(record, "syntax", "unexpected character after a closing quote");
      break;
    }
    const s = pos;
    const i = nextDelimiter(src, pos, len);
    const c = i < len ? src[i]! : 0;
    let e = i;
    if (i < len && c === COMMA) {
      sp.set(n++, s, e, 0);
      pos = i + 1;
      if (pos === len) {
        // A comma ends the input: an empty last field.
        sp.set(n++, pos, pos, 0);
        break;
      }
      continue;
    }
    // A line end (or the input's end) ends the row; a CR before it belongs to the line end.
    if (e > s && src[e - 1] === CR) e--;
    pos = i + 1;
    if (n === 0 && e === s) break; // blank: n stays 0
    sp.set(n++, s, e, 0);
    break;
  }
  sp.n = n;
  return pos;
}

let lastSrc: Buffer | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * The first comma or LF in `src[i..len)` (or `len`), four bytes at a time: a SWAR test, exact for "some
 * byte of v is 0" (`(v - 0x01…) & ~v & 0x80…`, v = the word ^ the byte repeated), whose lowest set bit
 * is the first such byte.
 */
function nextDelimiter(src: Buffer, i: number, len: number): number {
  if (src !== lastSrc) {
    lastSrc = src;
    view = new DataView(src.buffer, src.byteOffset, src.length);
  }
  const sv = view;
  while (i + 4 <= len) {
    const w = sv.getInt32(i, true);
    const k = w ^ 0x2c2c2c2c;
    const l = w ^ 0x0a0a0a0a;
    const m = (((k - 0x01010101) & ~k) | ((l - 0x01010101) & ~l)) & 0x80808080;
    if (m !== 0) return i + ((31 - Math.clz32(m & -m)) >> 3);
    i += 4;
  }
  while (i < len && src[i] !== COMMA && src[i] !== LF) i++;
  return i;
}

/** Every byte ASCII and none a quote (so a quoted field holds no `""`): characters are bytes. */
export function plainAscii(src: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x80 || c === QUOTE) return false;
  }
  return true;
}

/** A field's text, its `""` escapes undone. */
export function fieldText(src: Buffer, s: number, e: number, quoted: boolean): string {
  const text = src.toString("utf8", s, e);
  return quoted && text.includes('"') ? text.replaceAll('""', '"') : text;
}

/**
 * CSV and DuckDB's staged CSV for the common layout (destination column k is source field k, no steps):
 * most records come out as the very bytes they came in as — a field that needs no quotes was unquoted,
 * one that needs them was quoted with its quotes doubled — so the scanner only checks that, and the
 * driver copies runs of such records with one memcpy instead of writing them field by field. A record
 * that differs (say an empty field staging-csv writes as "", or a CRLF line end) is written from its
 * field spans by the ColumnWriter.
 */
import { nextSpecial } from "./byte-copy.ts";
import { COMMA, CR, type FieldSpans, LF, QUOTE } from "./record-scan.ts";

export interface VerbatimScan {
  /** Whether the record's fields are written as the bytes `src[rowStart..contentEnd)`. */
  verbatim: boolean;
  /** Where its last field ends (before the line end). */
  contentEnd: number;
}

/**
 * Scans the record at `pos` into `sp` and `scan`; returns the position after its line end, or -1 for a
 * record the general scanner must see (a syntax error, a field count other than the header's, a blank).
 */
export type VerbatimScanner = (src: Buffer, pos: number, len: number) => number;

/** Whether quoted content `src[s..e)` (with `""` pairs, `pairs` of them) needs quotes in CSV. */
function quotedNeedsQuotes(src: Buffer, s: number, e: number, pairs: boolean): boolean {
  if (pairs || src[s]! <= 32 || src[e - 1]! <= 32) return true;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c === COMMA || c === LF || c === CR) return true;
  }
  return false;
}

export function verbatimScanner(
  format: "csv" | "staging-csv",
  sp: FieldSpans,
  scan: VerbatimScan,
): VerbatimScanner {
  // staging-csv writes an empty field as "" (null is the unquoted empty one); csv writes it empty.
  const staging = format === "staging-csv";
  const last = sp.width - 1;
  let lastSrc: Buffer | undefined;
  let sv: DataView = new DataView(new ArrayBuffer(0));
  return (src, pos, len) => {
    if (src !== lastSrc) {
      lastSrc = src;
      sv = new DataView(src.buffer, src.byteOffset, src.length);
    }
    let i = pos;
    let verbatim = true;
    let end = pos;
    for (let k = 0; ; k++) {
      let s: number;
      let e: number;
      if (src[i] === QUOTE) {
        s = i + 1;
        e = s;
        let pairs = false;
        for (;;) {
          e = src.indexOf(QUOTE, e);
          if (e < 0) return -1;
          if (src[e + 1] !== QUOTE) break;
          e += 2;
          pairs = true;
        }
        // Quoted stays quoted when it must be; an empty one only in staging-csv.
        if (e === s ? !staging : !quotedNeedsQuotes(src, s, e, pairs)) verbatim = false;
        sp.set(k, s, e, 1);
        i = e + 1;
        end = i;
      } else {
        s = i;
        // Bytes an unquoted field can hold that make CSV quote it: a quote, or a CR not ending the line.
        let odd = false;
        for (;;) {
          i = nextSpecial(src, sv, i, len);
          if (i >= len) break;
          const c = src[i]!;
          if (c === COMMA || c === LF) break;
          if (c === QUOTE || (c === CR && src[i + 1] !== LF && i + 1 !== len)) odd = true;
          i++;
        }
        e = i > s && src[i - 1] === CR && src[i] !== COMMA ? i - 1 : i;
        if (e === s) {
          if (k === 0 && src[i] !== COMMA) return -1; // a blank line
          if (staging) verbatim = false;
        } else if (odd || src[s]! <= 32 || src[e - 1]! <= 32) verbatim = false;
        sp.set(k, s, e, 0);
        end = e;
      }
      const c = src[i];
      if (c === COMMA) {
        if (k === last) return -1;
        i++;
        continue;
      }
      if (k !== last) return -1;
      scan.contentEnd = end;
      if (c === LF) i++;
      else if (i < len) {
        if (c === CR && (src[i + 1] === LF || i + 1 === len)) i += 2;
        else return -1;
      }
      break;
    }
    scan.verbatim = verbatim;
    return i;
  };
}

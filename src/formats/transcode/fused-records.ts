/**
 * JSON lines and COPY text for the common layouts — the columns are source fields in their order, all of
 * them or some dropped — in one pass: each field is copied (escaped as the format needs) while it is
 * scanned, rather than scanned for its boundaries and then copied, which made the transcoder read every
 * byte twice; a dropped field is only scanned. Columns with Mask or Truncate steps are bounded here and
 * written by the ColumnWriter. Anything unusual (a field count other
 * than the header's, a syntax error, a blank line) returns -1 untouched by the caller's count: the driver
 * then rewinds the output and runs the record through the general scanner, whose errors are the reference.
 */
import {
  COMMAS,
  copyByte,
  jsonByte,
  jsonGlue,
  nextSpecial,
  plainWords,
  QUOTES,
  writeMasked,
} from "./byte-copy.ts";
import type { ColumnWriter } from "./column-writer.ts";
import type { OutBuffer } from "./out-buffer.ts";
import { BACKSLASH, COMMA, CR, LF, plainAscii, QUOTE } from "./record-scan.ts";

const TAB = 0x09;

/** Writes the record at `pos` and its line end; returns the position after it, or -1 (see above). */
export type RecordWriter = (src: Buffer, pos: number, len: number) => number;

export function fusedRecords(
  format: "jsonl" | "copy-text",
  cols: ColumnWriter,
  keys: readonly Buffer[],
  out: OutBuffer,
  /** The source's fields (each column's source is a later one than the column before's). */
  width: number,
): RecordWriter {
  const jsonl = format === "jsonl";
  const last = width - 1;
  const stepped = cols.stepped;
  // Each source field's column (-1: the layout drops it); the columns come in the fields' order.
  const colOf = new Int32Array(width).fill(-1);
  cols.sources.forEach((f, k) => {
    colOf[f] = k;
  });
  // Output bytes per input byte at most (\u00XX), and room kept for a key, quotes and the line end.
  const per = jsonl ? 6 : 2;
  const { len: glueLen, at: glueAt, words: glueWords } = jsonGlue(keys, stepped);
  const reserve = 24 + (jsonl ? Math.max(0, ...glueLen) : 0);
  let lastSrc: Buffer | undefined;
  let sv: DataView = new DataView(new ArrayBuffer(0));

  return (src, pos, len) => {
    if (src !== lastSrc) {
      lastSrc = src;
      sv = new DataView(src.buffer, src.byteOffset, src.length);
    }
    let b = out.buf;
    let ov = out.view;
    let o = out.pos;
    let i = pos;
    for (let f = 0; ; f++) {
      const k = colOf[f]!;
      if (b.length - o < reserve) {
        out.pos = o;
        out.ensure(reserve + 4096);
        b = out.buf;
        ov = out.view;
      }
      if (k < 0) {
        // A field the layout drops: no key.
      } else if (jsonl) {
        const end = glueAt[k + 1]!;
        for (let j = glueAt[k]!, p = o; j < end; j++, p += 4) ov.setInt32(p, glueWords[j]!, true);
        o += glueLen[k]!;
      } else if (k > 0) b[o++] = TAB;
      const quoted = src[i] === QUOTE;
      const s = quoted ? i + 1 : i;
      if (k < 0) {
        // A field the layout drops: its end only.
        if (quoted) {
          for (i = s; ; ) {
            i = src.indexOf(QUOTE, i);
            if (i < 0) return -1;
            if (src[i + 1] === QUOTE) i += 2;
            else break;
          }
          i++;
        } else {
          for (;;) {
            // A quote or CR inside an unquoted field is data.
            i = nextSpecial(src, sv, i, len);
            if (i >= len || src[i] === COMMA || src[i] === LF) break;
            i++;
          }
          const e = i > s && src[i - 1] === CR && src[i] !== COMMA ? i - 1 : i;
          if (f === 0 && e === s && src[i] !== COMMA) return -1;
        }
      } else if (stepped[k] === 1) {
        // Bounds only; the ColumnWriter writes the column.
        let e: number;
        // Whether the field is ASCII without quotes (so a Mask can work on its bytes).
        let ascii: boolean;
        if (quoted) {
          e = s;
          for (;;) {
            e = src.indexOf(QUOTE, e);
            if (e < 0) return -1;
            if (src[e + 1] === QUOTE) e += 2;
            else break;
          }
          i = e + 1;
          ascii = plainAscii(src, s, e);
        } else {
          ascii = true;
          while (i < len) {
            const c = src[i]!;
            if (c > COMMA && c < 0x80) i++;
            else if (c === COMMA || c === LF) break;
            else {
              if (c >= 0x80 || c === QUOTE) ascii = false;
              i++;
            }
          }
          e = i > s && src[i - 1] === CR && src[i] !== COMMA ? i - 1 : i;
          if (f === 0 && e === s && src[i] !== COMMA) return -1;
        }
        const m = cols.masks[k];
        if (m !== undefined && ascii) {
          // A Mask on bytes, as ColumnWriter.write does it, written here: it is the common step.
          const need = reserve + (e - s) * (m.bytes.length + 6);
          if (b.length - o < need) {
            out.pos = o;
            out.ensure(need);
            b = out.buf;
            ov = out.view;
          }
          o = writeMasked(b, ov, o, src, sv, s, e, m, jsonl);
        } else {
          out.pos = o;
          cols.write(out, src, k, s, e, quoted);
          out.ensure(reserve);
          b = out.buf;
          ov = out.view;
          o = out.pos;
        }
      } else {
        if (quoted) i++;
        // Copy in stretches the buffer has room for at `per` bytes each; grow between stretches.
        for (;;) {
          let room = b.length - o - reserve;
          if (room < 256) {
            out.pos = o;
            out.ensure(reserve + 4096);
            b = out.buf;
            ov = out.view;
            room = b.length - o - reserve;
          }
          let stop = i + ((room / per) | 0);
          if (stop > len) stop = len;
          if (quoted) {
            while (i < stop) {
              const n = plainWords(sv, ov, i, o, stop, QUOTES);
              i += n;
              o += n;
              if (i >= stop) break;
              const c = src[i]!;
              if (c > COMMA && c !== BACKSLASH) {
                b[o++] = c;
                i++;
              } else if (c === QUOTE) {
                if (src[i + 1] !== QUOTE) break; // the closing quote
                if (jsonl) b[o++] = BACKSLASH;
                b[o++] = QUOTE;
                i += 2;
              } else {
                o = jsonl ? jsonByte(b, o, c) : copyByte(b, o, c);
                i++;
              }
            }
            if (i < stop) break;
            if (i >= len) return -1; // unterminated
          } else {
            while (i < stop) {
              const n = plainWords(sv, ov, i, o, stop, COMMAS);
              i += n;
              o += n;
              if (i >= stop) break;
              const c = src[i]!;
              if (c > COMMA && c !== BACKSLASH) {
                b[o++] = c;
                i++;
              } else if (c === COMMA || c === LF) break;
              else {
                o = jsonl ? jsonByte(b, o, c) : copyByte(b, o, c);
                i++;
              }
            }
            if (i < stop || i >= len) break;
          }
        }
        if (quoted)
          i++; // past the closing quote
        else if (i > s && src[i - 1] === CR && src[i] !== COMMA) {
          // A CR before the line end belongs to it: take back its escape (two bytes in both formats).
          o -= 2;
          if (f === 0 && i === s + 1) return -1;
        } else if (f === 0 && i === s && src[i] !== COMMA) return -1; // a blank line
        if (jsonl) b[o++] = QUOTE;
      }
      // What follows the field: a comma and the next, or the record's end.
      const c = src[i];
      if (c === COMMA) {
        if (f === last) return -1;
        i++;
        continue;
      }
      if (f !== last) return -1;
      if (c === LF) i++;
      else if (i < len) {
        if (quoted && c === CR && (src[i + 1] === LF || i + 1 === len)) i += 2;
        else return -1;
      }
      break;
    }
    if (jsonl) b[o++] = 0x7d;
    b[o++] = LF;
    out.pos = o;
    return i;
  };
}

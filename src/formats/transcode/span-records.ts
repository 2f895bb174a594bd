/**
 * JSON lines and COPY text from a record's field spans (record-scan.ts), for the layouts the fused writer
 * doesn't take (columns reordered, one source field in two columns, a field the source lacks) and the
 * records it leaves to the general scanner. Each column is written as
 * the fused writer writes it — the key as prepacked words, the field copied a word at a time up to the
 * next byte that needs escaping — with room made once per column rather than per piece, so a field costs
 * a few stores and one bounds check instead of a call per key, quote and byte. Columns with Mask or
 * Truncate steps go through the ColumnWriter, as everywhere.
 */
import { copyByte, jsonByte, jsonGlue, plainWords, QUOTES } from "./byte-copy.ts";
import type { ColumnWriter } from "./column-writer.ts";
import type { OutBuffer } from "./out-buffer.ts";
import { BACKSLASH, COMMA, type FieldSpans, LF, QUOTE } from "./record-scan.ts";

const TAB = 0x09;

/** Writes the record whose spans are in `sp` (its field count checked), and its line end. */
export type SpanWriter = (src: Buffer) => void;

export function spanRecords(
  format: "jsonl" | "copy-text",
  cols: ColumnWriter,
  keys: readonly Buffer[],
  sp: FieldSpans,
  out: OutBuffer,
): SpanWriter {
  const jsonl = format === "jsonl";
  const ncol = cols.sources.length;
  const { sources, stepped } = cols;
  const { starts, ends, quoted } = sp;
  // Output bytes per input byte at most (\u00XX); room past a column for its key's padding, a quote,
  // the next separator and the line end.
  const per = jsonl ? 6 : 2;
  const { len: glueLen, at: glueAt, words: glueWords } = jsonGlue(keys, stepped);
  const slack = 16 + (jsonl ? Math.max(0, ...glueLen) : 0);
  let lastSrc: Buffer | undefined;
  let sv: DataView = new DataView(new ArrayBuffer(0));

  return (src) => {
    if (src !== lastSrc) {
      lastSrc = src;
      sv = new DataView(src.buffer, src.byteOffset, src.length);
    }
    if (ncol === 0) {
      out.ensure(3);
      if (jsonl) out.buf[out.pos++] = 0x7b;
    }
    let b = out.buf;
    let ov = out.view;
    let o = out.pos;
    for (let k = 0; k < ncol; k++) {
      const f = sources[k]!;
      const s = f < 0 ? 0 : starts[f]!;
      const e = f < 0 ? 0 : ends[f]!;
      const need = (e - s) * per + slack;
      if (b.length - o < need) {
        out.pos = o;
        out.ensure(need);
        b = out.buf;
        ov = out.view;
      }
      if (jsonl) {
        const end = glueAt[k + 1]!;
        for (let j = glueAt[k]!, p = o; j < end; j++, p += 4) ov.setInt32(p, glueWords[j]!, true);
        o += glueLen[k]!;
      } else if (k > 0) b[o++] = TAB;
      if (stepped[k] === 1) {
        out.pos = o;
        cols.write(out, src, k, s, e, f >= 0 && quoted[f] === 1);
        b = out.buf;
        ov = out.view;
        o = out.pos;
        continue;
      }
      const pairs = quoted[f] === 1;
      for (let i = s; i < e; ) {
        // Commas are plain here (the span is the field's): test quotes in their place.
        const n = plainWords(sv, ov, i, o, e, QUOTES);
        i += n;
        o += n;
        if (i >= e) break;
        const c = src[i++]!;
        if (c > COMMA && c !== BACKSLASH) b[o++] = c;
        else if (c === QUOTE) {
          if (jsonl) b[o++] = BACKSLASH;
          b[o++] = QUOTE;
          if (pairs) i++; // the second quote of a `""` pair
        } else o = jsonl ? jsonByte(b, o, c) : copyByte(b, o, c);
      }
      if (jsonl) b[o++] = QUOTE;
    }
    if (b.length - o < 2) {
      out.pos = o;
      out.ensure(2);
      b = out.buf;
      o = out.pos;
    }
    if (jsonl) b[o++] = 0x7d;
    b[o++] = LF;
    out.pos = o;
  };
}

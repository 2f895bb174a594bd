/**
 * CSV bytes → a destination's wire format (EncodedFormat), without making a JS value of any field the
 * tasks don't rewrite. One chunk holds whole records (csv-chunker.ts cuts the object at record
 * boundaries); the rules are csv-parse.ts's exactly — `"` quoting with `""` escapes, LF or CRLF line
 * ends, blank lines skipped, a field count that must equal the header's — and so are the errors, which
 * come back with the record's number within the chunk so that the caller can number it in the object.
 *
 * Why bytes: on the general path a 1M-row file becomes 10M strings and 1M arrays that die young, and
 * parsing and re-encoding them was most of a run's time (docs/benchmarks.md). Here each row's field
 * boundaries are found in one pass over the bytes and each destination column is then copied (escaped
 * as the format needs) straight from the source bytes; only Mask/Truncate columns are decoded.
 */
import { isUtf8 } from "node:buffer";
import type { EncodedFormat, FieldValue } from "../../connectors/types.ts";
import type { BytePlan } from "../../tasks/byte-plan.ts";
import { emitters } from "./field-emitters.ts";
import { OutBuffer } from "./out-buffer.ts";

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

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

export interface TranscodedChunk {
  data: Buffer;
  /** After each record: where it ends in `data`, and in the input chunk (so a chunk can be cut into batches). */
  ends: Int32Array;
  sourceEnds: Int32Array;
  records: number;
  longestRecord: number;
}

export type ChunkTranscoder = (chunk: Buffer) => TranscodedChunk;

/**
 * A transcoder for an object whose header has `width` fields. The returned function takes body
 * chunks (whole records; the last chunk of the object may lack its final line end).
 */
export function csvTranscoder(
  plan: BytePlan,
  width: number,
  format: EncodedFormat,
  /** The longest record accepted, in characters with its line end, as csv-parse.ts counts. */
  maxRecord = Number.POSITIVE_INFINITY,
): ChunkTranscoder {
  const emit = emitters[format];
  const columns = plan.columns;
  const ncol = columns.length;
  const sources = Int32Array.from(columns, (c) => c.source);
  const transforms = columns.map((c) => c.transform);
  const anyTransform = transforms.some((t) => t !== undefined);
  // Masks the format can apply to bytes: a mask character that needs no escaping in it.
  const masks = columns.map((c) => {
    const m = c.mask;
    if (!m || !emit.masked) return undefined;
    const code = m.mask.codePointAt(0)!;
    if (code < 0x21 || code === 0x22 || code === 0x5c || code === 0x7f) return undefined;
    return { operator: m.operator, n: m.n, bytes: Buffer.from(m.mask) };
  });
  // JSON lines: each column's key with its separator ({"a": ,"b": …), written before the value.
  const keys = columns.map((c, i) => Buffer.from(`${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`));
  const jsonl = format === "jsonl";
  const sep = format === "copy-text" ? 0x09 : COMMA;
  // A lone empty field would be a blank line, which readers skip: CSV writes it quoted.
  const quoteLoneEmpty = format === "csv" && ncol === 1;
  const starts = new Int32Array(width + 1);
  const ends = new Int32Array(width + 1);
  const quoted = new Uint8Array(width + 1);
  const out = new OutBuffer(1 << 20);

  return (input) => {
    // Invalid UTF-8 is read as U+FFFD by the general reader's decoder; so here, once per such chunk.
    const src = isUtf8(input) ? input : Buffer.from(input.toString("utf8"));
    const len = src.length;
    out.pos = 0;
    out.ensure(jsonl ? len * 2 + 4096 : len + (len >> 3) + 4096);
    let records = 0;
    let longest = 0;
    let recordEnds = new Int32Array(Math.max(64, len >> 6));
    let sourceEnds = new Int32Array(recordEnds.length);
    let pos = 0;
    while (pos < len) {
      const c0 = src[pos]!;
      if (c0 === LF) {
        pos++;
        continue;
      }
      if (c0 === CR && src[pos + 1] === LF) {
        pos += 2;
        continue;
      }
      // One record: field boundaries first.
      const rowStart = pos;
      let n = 0;
      let blank = false;
      for (;;) {
        if (src[pos] === QUOTE) {
          const s = pos + 1;
          let q = s;
          for (;;) {
            q = src.indexOf(QUOTE, q);
            if (q < 0) throw new ChunkRecordError(records + 1, "syntax", "unterminated quoted field");
            if (src[q + 1] === QUOTE) q += 2;
            else break;
          }
          if (n <= width) {
            starts[n] = s;
            ends[n] = q;
            quoted[n] = 1;
          }
          n++;
          const after = src[q + 1];
          if (after === COMMA) {
            pos = q + 2;
            if (pos === len) {
              if (n <= width) {
                starts[n] = ends[n] = pos;
                quoted[n] = 0;
              }
              n++;
              break;
            }
            continue;
          }
          if (after === LF || q + 1 === len) pos = q + 2;
          else if (after === CR && (src[q + 2] === LF || q + 2 === len)) pos = q + 3;
          else
            throw new ChunkRecordError(records + 1, "syntax", "unexpected character after a closing quote");
          break;
        }
        const s = pos;
        let i = pos;
        let c = 0;
        while (i < len) {
          c = src[i]!;
          if (c === COMMA || c === LF) break;
          i++;
        }
        let e = i;
        if (i < len && c === COMMA) {
          if (n <= width) {
            starts[n] = s;
            ends[n] = e;
            quoted[n] = 0;
          }
          n++;
          pos = i + 1;
          if (pos === len) {
            // A comma ends the input: an empty last field.
            if (n <= width) {
              starts[n] = ends[n] = pos;
              quoted[n] = 0;
            }
            n++;
            break;
          }
          continue;
        }
        // A line end (or the input's end) ends the row; a CR before it belongs to the line end.
        if (e > s && src[e - 1] === CR) e--;
        pos = i + 1;
        if (n === 0 && e === s) {
          blank = true;
          break;
        }
        if (n <= width) {
          starts[n] = s;
          ends[n] = e;
          quoted[n] = 0;
        }
        n++;
        break;
      }
      if (blank) continue;
      records++;
      // Bytes are never fewer than characters: only a long record is decoded to count them.
      const rowEnd = Math.min(pos, len);
      if (rowEnd - rowStart > maxRecord && src.toString("utf8", rowStart, rowEnd).length > maxRecord)
        throw new ChunkRecordError(records, "too-long", "the record is longer than the maximum record size");
      if (n !== width)
        throw new ChunkRecordError(records, "fields", `has ${n} fields but the header has ${width}`, n);
      // Then the destination columns, in their order.
      const lineStart = out.pos;
      if (jsonl && ncol === 0) out.putString("{");
      for (let k = 0; k < ncol; k++) {
        if (jsonl) out.put(keys[k]!);
        else if (k > 0) {
          out.ensure(1);
          out.buf[out.pos++] = sep;
        }
        const f = sources[k]!;
        const t = anyTransform ? transforms[k] : undefined;
        if (t !== undefined || f < 0) {
          const m = masks[k];
          const s = starts[f]!;
          const e = ends[f]!;
          if (m !== undefined && f >= 0 && plainAscii(src, s, e)) {
            // One character per byte: the Mask's lengths count bytes here.
            const len = e - s;
            const head =
              m.operator === "MASK_ALL" ? len : m.operator === "MASK_FIRST_N" ? Math.min(m.n, len) : 0;
            const tail = m.operator === "MASK_LAST_N" ? Math.min(m.n, len) : 0;
            emit.masked!(out, src, s, e, head, tail, m.bytes);
          } else {
            const v: FieldValue = f < 0 ? null : fieldText(src, s, e, quoted[f] === 1);
            emit.value(out, t === undefined ? v : t(v));
          }
        } else emit.raw(out, src, starts[f]!, ends[f]!, quoted[f] === 1);
      }
      if (quoteLoneEmpty && out.pos === lineStart) out.putString('""');
      out.ensure(2);
      if (jsonl) out.buf[out.pos++] = 0x7d;
      out.buf[out.pos++] = LF;
      if (out.pos - lineStart > longest) longest = out.pos - lineStart;
      if (records > recordEnds.length) {
        recordEnds = grow(recordEnds);
        sourceEnds = grow(sourceEnds);
      }
      recordEnds[records - 1] = out.pos;
      // A chunk re-encoded from invalid UTF-8 has other offsets: its records end where the input does.
      sourceEnds[records - 1] = src === input ? Math.min(pos, len) : input.length;
    }
    return {
      data: out.take(),
      records,
      longestRecord: longest,
      ends: recordEnds.slice(0, records),
      sourceEnds: sourceEnds.slice(0, records),
    };
  };
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Every byte ASCII and none a quote (so a quoted field holds no `""`): characters are bytes. */
function plainAscii(src: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x80 || c === QUOTE) return false;
  }
  return true;
}

/** A field's text, its `""` escapes undone. */
function fieldText(src: Buffer, s: number, e: number, quoted: boolean): string {
  const text = src.toString("utf8", s, e);
  return quoted && text.includes('"') ? text.replaceAll('""', '"') : text;
}

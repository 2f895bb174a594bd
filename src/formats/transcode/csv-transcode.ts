/**
 * CSV bytes → a destination's wire format (EncodedFormat), without making a JS value of any field the
 * tasks don't rewrite. One chunk holds whole records (csv-chunker.ts cuts the object at record
 * boundaries); the rules are csv-parse.ts's exactly — `"` quoting with `""` escapes, LF or CRLF line
 * ends, blank lines skipped, a field count that must equal the header's — and so are the errors, which
 * come back with the record's number within the chunk so that the caller can number it in the object.
 *
 * Why bytes: on the general path a 1M-row file becomes 10M strings and 1M arrays that die young, and
 * parsing and re-encoding them was most of a run's time (docs/benchmarks.md). Here each row's field
 * boundaries are found and each destination column is copied (escaped as the format needs) straight
 * from the source bytes; only Mask/Truncate columns are decoded. When the columns are source fields in
 * their order (a copy, perhaps with Masks; for JSON lines and COPY text, perhaps with fields dropped),
 * JSON lines and COPY text copy each field while scanning it (fused-records.ts) and CSV formats copy runs
 * of unchanged records whole (verbatim-records.ts); other layouts, and any record those writers don't
 * take, go through the general scanner (record-scan.ts) and are written from its spans (span-records.ts
 * for JSON lines and COPY text).
 */
import { isUtf8 } from "node:buffer";
import type { EncodedFormat } from "../../connectors/types.ts";
import type { BytePlan } from "../../tasks/byte-plan.ts";
import { ColumnWriter } from "./column-writer.ts";
import { fusedRecords, type RecordWriter } from "./fused-records.ts";
import { OutBuffer } from "./out-buffer.ts";
import { ChunkRecordError, COMMA, CR, FieldSpans, LF, scanRecord } from "./record-scan.ts";
import { spanRecords } from "./span-records.ts";
import { type VerbatimScan, type VerbatimScanner, verbatimScanner } from "./verbatim-records.ts";

export { ChunkRecordError } from "./record-scan.ts";

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
  const cols = new ColumnWriter(plan, format);
  const ncol = plan.columns.length;
  // JSON lines: each column's key with its separator ({"a": ,"b": …), written before the value.
  const keys = plan.columns.map((c, i) => Buffer.from(`${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`));
  const jsonl = format === "jsonl";
  // A lone empty field would be a blank line, which readers skip: CSV writes it quoted.
  const quoteLoneEmpty = format === "csv" && ncol === 1;
  const sp = new FieldSpans(width);
  const out = new OutBuffer(1 << 20);
  const identity = ncol === width && cols.sources.every((f, k) => f === k);
  // The fused writer takes columns in their fields' order, some fields perhaps dropped.
  const inOrder = ncol > 0 && cols.sources.every((f, k) => f >= 0 && (k === 0 || f > cols.sources[k - 1]!));
  const fused: RecordWriter | undefined =
    inOrder && (format === "jsonl" || format === "copy-text")
      ? fusedRecords(format, cols, keys, out, width)
      : undefined;
  const scan: VerbatimScan = { verbatim: false, contentEnd: 0 };
  const verbatim: VerbatimScanner | undefined =
    identity && !quoteLoneEmpty && (format === "csv" || format === "staging-csv") && !cols.stepped.includes(1)
      ? verbatimScanner(format, sp, scan)
      : undefined;
  // Scratch for the record offsets, reused across chunks (the results are copies).
  let recordEnds = new Int32Array(4096);
  let sourceEnds = new Int32Array(4096);

  const { emit, sources, stepped } = cols;
  const { starts, ends, quoted } = sp;
  /** A CSV record from its spans in `sp`: the destination columns, in their order, and the line end. */
  const csvRecord = (src: Buffer): void => {
    const lineStart = out.pos;
    for (let k = 0; k < ncol; k++) {
      if (k > 0) {
        out.ensure(1);
        out.buf[out.pos++] = COMMA;
      }
      const f = sources[k]!;
      // The emitter straight from here for a column without steps: the call stays monomorphic.
      if (stepped[k] === 0) emit.raw(out, src, starts[f]!, ends[f]!, quoted[f] === 1);
      else if (f < 0) cols.write(out, src, k, 0, 0, false);
      else cols.write(out, src, k, starts[f]!, ends[f]!, quoted[f] === 1);
    }
    if (quoteLoneEmpty && out.pos === lineStart) out.putString('""');
    out.ensure(1);
    out.buf[out.pos++] = LF;
  };
  const writeRecord =
    format === "jsonl" || format === "copy-text" ? spanRecords(format, cols, keys, sp, out) : csvRecord;

  return (input) => {
    // Invalid UTF-8 is read as U+FFFD by the general reader's decoder; so here, once per such chunk.
    const src = isUtf8(input) ? input : Buffer.from(input.toString("utf8"));
    const len = src.length;
    out.pos = 0;
    out.ensure(jsonl ? len * 2 + 4096 : len + (len >> 3) + 4096);
    let records = 0;
    let longest = 0;
    // src[run..pos) is output not yet copied in: the verbatim records since the last other one.
    let run = 0;
    let pos = 0;
    while (pos < len) {
      const c0 = src[pos]!;
      if (c0 === LF || (c0 === CR && src[pos + 1] === LF)) {
        if (run < pos) out.putRange(src, run, pos);
        pos += c0 === LF ? 1 : 2;
        run = pos;
        continue;
      }
      const rowStart = pos;
      let lineStart = out.pos;
      let next = -1;
      let general = false;
      if (fused) {
        next = fused(src, pos, len);
        if (next < 0) out.pos = lineStart;
      } else if (verbatim) {
        next = verbatim(src, pos, len);
        const end = scan.contentEnd;
        if (next >= 0 && scan.verbatim && next === end + 1 && src[end] === LF) {
          lineStart += rowStart - run; // the record joins the run
        } else {
          if (run < rowStart) out.putRange(src, run, rowStart);
          run = rowStart;
          lineStart = out.pos;
          if (next >= 0) {
            if (scan.verbatim) {
              out.putRange(src, rowStart, end);
              out.ensure(1);
              out.buf[out.pos++] = LF;
            } else writeRecord(src);
            run = Math.min(next, len);
          }
        }
      }
      if (next < 0) {
        general = true;
        next = scanRecord(src, pos, len, sp, records + 1);
        if (sp.n === 0) {
          pos = run = Math.min(next, len); // a blank line
          continue;
        }
      }
      records++;
      // Bytes are never fewer than characters: only a long record is decoded to count them.
      const rowEnd = Math.min(next, len);
      if (rowEnd - rowStart > maxRecord && src.toString("utf8", rowStart, rowEnd).length > maxRecord)
        throw new ChunkRecordError(records, "too-long", "the record is longer than the maximum record size");
      if (general) {
        if (sp.n !== width)
          throw new ChunkRecordError(
            records,
            "fields",
            `has ${sp.n} fields but the header has ${width}`,
            sp.n,
          );
        writeRecord(src);
        run = rowEnd;
      } else if (fused) run = rowEnd;
      pos = rowEnd;
      const lineEnd = out.pos + (rowEnd - run);
      if (lineEnd - lineStart > longest) longest = lineEnd - lineStart;
      if (records > recordEnds.length) {
        recordEnds = grow(recordEnds);
        sourceEnds = grow(sourceEnds);
      }
      recordEnds[records - 1] = lineEnd;
      // A chunk re-encoded from invalid UTF-8 has other offsets: its records end where the input does.
      sourceEnds[records - 1] = src === input ? rowEnd : input.length;
    }
    return {
      data: out.take(src, run, len),
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

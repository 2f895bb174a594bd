/**
 * Cuts one CSV object's bytes at record boundaries so the pieces can be parsed in parallel (the fast
 * path, issue 10). Yields `{ header }` (the first record, line end included, UTF-8 BOM removed) and then
 * body chunks of about `targetBytes` that each end just after the "\n" of a record; the last may lack it.
 * header + chunks is the input minus the BOM, byte for byte.
 *
 * Only quotes and one line break per chunk are looked at, with Buffer.indexOf (native memchr): a "\n" is a
 * boundary unless it is inside a quoted field. Which quotes open a field follows CsvRowParser exactly: a
 * `"` opens a quoted field only at a field's start (after "," or "\n", or at the start); elsewhere it is
 * a literal character of an unquoted field, which csv-reader accepts (`5" disk`). Inside a quoted field
 * `""` is an escaped quote and any other `"` closes it. Plain quote-count parity would mis-cut on such
 * literal quotes. Syntax the parser rejects (text after a closing quote, a quoted field the object ends
 * in) isn't checked here: the chunk holding it starts at a true boundary, so its own parse reports it.
 *
 * Memory: a chunk holds at most targetBytes + maxRecordBytes (+ one input buffer) — everything past the
 * target point until the next boundary is one record, so passing maxRecordBytes there fails the read.
 * The target is clamped to the limit, so a longer record can't hide before the target point either; the
 * exact per-record limit (in characters, as csv-reader counts) is the chunk parser's to apply.
 */
import { recordTooLong } from "./record-limit.ts";

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export interface CsvChunkerOptions {
  /** About how many bytes a body chunk holds (it ends at the first record boundary past this). */
  targetBytes: number;
  /** The longest record accepted, in bytes (the S3 source's maxRecord). */
  maxRecordBytes: number;
  /** The object's name, for error messages. */
  name?: string;
  /**
   * The caller is done with each body chunk before it asks for the next (the fast path transcoding
   * inline): a chunk joined from several input buffers is then written into one scratch buffer, reused,
   * instead of fresh memory each time (fresh memory costs page faults as well as the copy).
   */
  reuse?: boolean;
}

export type CsvPiece =
  | { header: Buffer }
  /** `sourceBytes`: bytes of the object the chunk covers; the first also counts the BOM and the header. */
  | { data: Buffer; sourceBytes: number };

export async function* chunkCsv(
  input: AsyncIterable<Buffer> | Iterable<Buffer>,
  opts: CsvChunkerOptions,
): AsyncGenerator<CsvPiece> {
  const name = opts.name ?? "input";
  const limit = opts.maxRecordBytes;
  const bodyTarget = Math.max(1, Math.min(opts.targetBytes, limit));
  const ready: CsvPiece[] = [];

  let inHeader = true;
  let target = 0; // the header ends at its first boundary
  let lineStart = 0; // header only: where the current line starts in the chunk, to skip blank lines
  let parts: Buffer[] = []; // the current chunk's bytes from earlier input buffers
  let partsBytes = 0;
  let uncounted = 0; // source bytes not yet in a yielded chunk's sourceBytes (BOM, header)
  let yieldedChunk = false;
  let inQuoted = false;
  let quoteAtEnd = false; // inside a quoted field, the last input buffer ended with a `"`
  let prevByte = LF; // the byte before the current buffer (the start counts as a line start)

  let scratch: Buffer | undefined;
  /** `parts` and then `tail`, in one buffer. */
  const join = (tail: Buffer): Buffer => {
    const n = partsBytes + tail.length;
    if (!opts.reuse || inHeader) return Buffer.concat([...parts, tail], n);
    if (!scratch || scratch.length < n) scratch = Buffer.allocUnsafeSlow(Math.max(n, 2 * bodyTarget));
    let at = 0;
    for (const p of parts) at += p.copy(scratch, at);
    tail.copy(scratch, at);
    return scratch.subarray(0, n);
  };

  /** Ends the current chunk at `end` of `b` (its part of b starts at `from`). */
  const cut = (b: Buffer, from: number, end: number): void => {
    const tail = b.subarray(from, end);
    const data = parts.length === 0 ? tail : join(tail);
    parts = [];
    partsBytes = 0;
    if (inHeader) {
      inHeader = false;
      target = bodyTarget;
      uncounted += data.length;
      ready.push({ header: data });
    } else {
      ready.push({ data, sourceBytes: data.length + uncounted });
      uncounted = 0;
      yieldedChunk = true;
    }
  };

  /** Scans one input buffer, cutting chunks as it goes; the rest stays in `parts`. */
  const scan = (b: Buffer): void => {
    const len = b.length;
    let from = 0; // where the current chunk's part of b starts
    let pos = 0;
    if (quoteAtEnd) {
      quoteAtEnd = false;
      if (b[0] === QUOTE)
        pos = 1; // `""` split across buffers: still quoted
      else inQuoted = false;
    }
    while (pos < len) {
      if (inQuoted) {
        const q = b.indexOf(QUOTE, pos);
        if (q < 0) pos = len;
        else if (q + 1 === len) {
          quoteAtEnd = true;
          pos = len;
        } else if (b[q + 1] === QUOTE) pos = q + 2;
        else {
          inQuoted = false;
          pos = q + 1;
        }
        continue;
      }
      const q = b.indexOf(QUOTE, pos);
      const segmentEnd = q < 0 ? len : q;
      // Where the target point falls in b: a boundary is looked for only past it.
      const t = from + target - partsBytes;
      if (t < segmentEnd) {
        const lf = b.indexOf(LF, Math.max(pos, t));
        if (lf >= 0 && lf < segmentEnd) {
          pos = lf + 1;
          if (inHeader && isBlankLine(b, from, lf, lineStart - partsBytes, prevByte)) {
            // A blank line before the header (csv-reader skips those): the header starts after it.
            lineStart = partsBytes + pos - from;
            continue;
          }
          cut(b, from, pos);
          from = pos;
          continue;
        }
      }
      if (q < 0) break;
      const prev = q > 0 ? b[q - 1] : prevByte;
      if (prev === COMMA || prev === LF) inQuoted = true;
      pos = q + 1;
    }
    if (len > 0) prevByte = b[len - 1]!;
    if (from < len) {
      parts.push(from === 0 ? b : b.subarray(from));
      partsBytes += len - from;
    }
    if (partsBytes > target + limit) throw recordTooLong(`CSV ${name}`, limit);
  };

  // A BOM can arrive split across input buffers: the first three bytes are gathered before looking.
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of input) {
    let b = chunk;
    if (head) {
      if (head.length + b.length < 3) {
        head = Buffer.concat([head, b]);
        continue;
      }
      if (head.length > 0) b = Buffer.concat([head, b]);
      head = undefined;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
        uncounted += 3;
        b = b.subarray(3);
      }
    }
    scan(b);
    while (ready.length > 0) yield ready.shift()!;
  }
  if (head && head.length > 0) scan(head);
  // The rest is the last record(s), possibly without a final line break. A quoted field still open
  // here is left to the chunk's parser, which reports it with its row number as csv-reader does.
  const end = Buffer.alloc(0);
  if (inHeader || partsBytes > 0) cut(end, 0, 0);
  if (!yieldedChunk && uncounted > 0) ready.push({ data: end, sourceBytes: uncounted });
  for (const piece of ready) yield piece;
}

/**
 * Whether the line ending with the "\n" at `lf` of b is blank ("" or "\r") — csv-reader skips those.
 * `start` is where it starts relative to `from` in b (negative: in an earlier buffer, whose last byte
 * is `prevByte`).
 */
function isBlankLine(b: Buffer, from: number, lf: number, start: number, prevByte: number): boolean {
  const length = lf - (from + start);
  if (length === 0) return true;
  if (length !== 1) return false;
  return (lf > 0 ? b[lf - 1] : prevByte) === CR;
}

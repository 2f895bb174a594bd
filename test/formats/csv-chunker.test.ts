import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import { type CsvPiece, chunkCsv } from "../../src/formats/csv-chunker.ts";
import { CsvRowParser } from "../../src/formats/csv-parse.ts";

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The rows CsvRowParser makes of `bytes` parsed alone (BOM-free UTF-8). */
function parse(bytes: Buffer): string[][] {
  const rows: string[][] = [];
  const parser = new CsvRowParser((r) => rows.push(r));
  parser.push(utf8.decode(bytes));
  parser.end();
  return rows;
}

function* split(buf: Buffer, sizes: readonly number[]): Generator<Buffer> {
  let at = 0;
  for (let i = 0; at < buf.length; i++) {
    const n = Math.max(1, sizes.length > 0 ? sizes[i % sizes.length]! : buf.length);
    yield buf.subarray(at, at + n);
    at += n;
  }
}

/** `reuse`: as the fast path inline, each piece is done with (here: copied) before the next is asked for. */
async function chunk(
  input: Iterable<Buffer> | AsyncIterable<Buffer>,
  targetBytes: number,
  max = 1e9,
  reuse = false,
) {
  const pieces: CsvPiece[] = [];
  for await (const p of chunkCsv(input, { targetBytes, maxRecordBytes: max, name: "t.csv", reuse })) {
    pieces.push(reuse && "data" in p ? { ...p, data: Buffer.from(p.data) } : p);
  }
  const [first, ...rest] = pieces;
  assert.ok(first && "header" in first, "the header comes first");
  const chunks = rest.map((p) => {
    assert.ok("data" in p, "only the first piece is a header");
    return p;
  });
  return { header: first.header, chunks };
}

/** Checks every property the fast path relies on, for one input cut into `sizes`. */
async function check(
  text: Buffer,
  sizes: readonly number[],
  targetBytes: number,
  reuse = false,
): Promise<void> {
  const { header, chunks } = await chunk(split(text, sizes), targetBytes, 1e9, reuse);
  const body = text.subarray(0, 3).equals(BOM) ? text.subarray(3) : text;
  assert.ok(Buffer.concat([header, ...chunks.map((c) => c.data)]).equals(body), "header + chunks = input");
  assert.equal(
    chunks.reduce((n, c) => n + c.sourceBytes, 0),
    text.length,
  );
  const whole = parse(body);
  const pieces = [header, ...chunks.map((c) => c.data)];
  assert.deepEqual(pieces.flatMap(parse), whole, "each piece parsed alone gives the same rows");
  if (whole.length > 0) assert.equal(parse(header).length, 1, "the header is one record");
  for (const c of chunks.slice(0, -1)) assert.equal(c.data.at(-1), 10, "a chunk ends after a \\n");
}

const cell = fc.oneof(
  fc.constantFrom("a", "b", " ", "é", "😀", 'x"y', ""),
  fc
    .array(fc.constantFrom("a", ",", '"', "\n", "\r\n", "é", "😀", " "), { maxLength: 6 })
    .map((cs) => `"${cs.join("").replaceAll('"', '""')}"`),
);
const row = fc.array(cell, { minLength: 1, maxLength: 4 }).map((cs) => cs.join(","));
const lineEnd = fc.constantFrom("\n", "\r\n", "\n\n", "\r\n\r\n");
const csv = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(row, lineEnd), { minLength: 1, maxLength: 12 }),
    fc.boolean(), // a final line end or not
  )
  .map(([bom, rows, final]) => {
    let s = rows.map(([r, e]) => r + e).join("");
    if (!final) s = s.replace(/(\r?\n)+$/, "");
    return Buffer.concat([bom ? BOM : Buffer.alloc(0), Buffer.from(s)]);
  });
const sizes = fc.oneof(
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
);

test("chunks of random CSVs are cut at record boundaries", async () => {
  await fc.assert(
    fc.asyncProperty(csv, sizes, fc.integer({ min: 1, max: 40 }), fc.boolean(), (text, s, target, reuse) =>
      check(text, s, target, reuse),
    ),
    { numRuns: 400 },
  );
});

// Token soup: literal quotes in unquoted fields, lone CRs, blank lines — anything CsvRowParser accepts.
const soup = fc
  .array(fc.constantFrom("a", ",", '"', '""', "\n", "\r\n", "\r", "é", '",', ',"', '"\n'), { maxLength: 40 })
  .map((ts) => Buffer.from(ts.join("")))
  .filter((b) => {
    try {
      parse(b);
      return true;
    } catch {
      return false;
    }
  });

test("chunks follow CsvRowParser on literal quotes, lone CRs and blank lines", async () => {
  await fc.assert(
    fc.asyncProperty(soup, sizes, fc.integer({ min: 1, max: 20 }), fc.boolean(), (text, s, target, reuse) =>
      check(text, s, target, reuse),
    ),
    { numRuns: 600 },
  );
});

test("edge cases: empty input, a lone BOM, header only, blank lines before the header", async () => {
  assert.deepEqual(await chunk([], 10), { header: Buffer.alloc(0), chunks: [] });
  const bomOnly = await chunk(split(BOM, [1]), 10);
  assert.deepEqual(bomOnly.header, Buffer.alloc(0));
  assert.deepEqual(
    bomOnly.chunks.map((c) => [c.data.length, c.sourceBytes]),
    [[0, 3]],
  );
  const headerOnly = await chunk([Buffer.from('a,"b\nc"\n')], 10);
  assert.equal(headerOnly.header.toString(), 'a,"b\nc"\n');
  assert.deepEqual(
    headerOnly.chunks.map((c) => c.sourceBytes),
    [8],
  );
  const blank = await chunk(split(Buffer.from("\n\r\n\na,b\r\n1,2\n"), [1]), 1);
  assert.equal(blank.header.toString(), "\n\r\n\na,b\r\n");
  assert.deepEqual(
    blank.chunks.map((c) => c.data.toString()),
    ["1,2\n"],
  );
  for (const text of ["\ufeffa,b\n1,2\n", "a,b\n1,2\n3,4", "x\n"]) await check(Buffer.from(text), [1], 1);
});

test("chunks are about targetBytes and slice the input without copying", async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `${i},"note, ${i}\nsecond line",é\n`).join("");
  const text = Buffer.from(`id,note,x\n${rows}`);
  const { chunks } = await chunk(split(text, [65536]), 4096);
  for (const c of chunks.slice(0, -1)) assert.ok(c.data.length >= 4096 && c.data.length < 4096 + 40);
  // A chunk inside one input buffer is a view of it.
  assert.ok(chunks.some((c) => c.data.buffer === text.buffer));
});

test("with reuse, chunks joined from several input buffers share one scratch buffer", async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `${i},"note, ${i}",é\n`).join("");
  const text = Buffer.from(`id,note,x\n${rows}`);
  const seen = new Set<ArrayBufferLike>();
  const joined: Buffer[] = [];
  for await (const p of chunkCsv(split(text, [1000]), {
    targetBytes: 3000,
    maxRecordBytes: 1e9,
    reuse: true,
  })) {
    if (!("data" in p)) continue;
    if (p.data.buffer !== text.buffer) {
      seen.add(p.data.buffer);
      joined.push(Buffer.from(p.data));
    }
  }
  assert.ok(joined.length > 10, "input buffers smaller than the target: chunks are joined");
  assert.equal(seen.size, 1, "every joined chunk was written into the same memory");
  assert.ok(joined.every((c) => c.at(-1) === 10 || c === joined.at(-1)));
});

test("a record longer than the limit fails before it is all read", async () => {
  const limit = 1024 * 1024;
  let pulled = 0;
  async function* endless(unit: string): AsyncGenerator<Buffer> {
    yield Buffer.from("a,b\n1,2\n");
    const b = Buffer.from(unit.repeat(65536 / unit.length));
    for (;;) {
      pulled += b.length;
      yield b;
    }
  }
  for (const unit of ["x", '"a\n",', "é,"]) {
    pulled = 0;
    await assert.rejects(chunk(endless(unit), 256 * 1024, limit), (e: Error) => {
      assert.ok(e instanceof ConnectorServerError);
      assert.match(e.message, /^CSV t\.csv: the record is longer than the maximum record size \(1 MB\)/);
      return true;
    });
    // The target point is within 256 KB of the row start; one input buffer of slack.
    assert.ok(pulled <= 256 * 1024 + limit + 65536, `${pulled} bytes read`);
  }
  // The header too.
  await assert.rejects(
    chunk([Buffer.alloc(2 * limit, 97)], 10, limit),
    /longer than the maximum record size/,
  );
  // Records under the limit pass whatever the target.
  const ok = await chunk([Buffer.from(`a\n${"y".repeat(1000)}\nz\n`)], 1e6, 1001);
  assert.equal(ok.chunks.length, 1);
});

test("a quoted field the object ends in is left to the parser: the rest is the last chunk", async () => {
  // csv-reader reports it with its row number; the fast path's transcoder does the same (fast-path.test.ts).
  for (const [text, last] of [
    ['a,b\n"x\n', '"x\n'],
    ['a,b\n1,2\n1,"x""', '1,"x""'],
    ['a\nzz\n"x""\n', '"x""\n'],
  ] as const) {
    const { header, chunks } = await chunk(split(Buffer.from(text), [1]), 2);
    assert.equal(Buffer.concat([header, ...chunks.map((c) => c.data)]).toString(), text);
    assert.equal(chunks.at(-1)?.data.toString(), last);
  }
  // In the header: the header piece holds it, for the header's parser to report.
  assert.equal((await chunk([Buffer.from('"a\n')], 2)).header.toString(), '"a\n');
  // A closing quote as the very last byte is no error.
  await check(Buffer.from('a,b\n1,"x"'), [1], 1);
});

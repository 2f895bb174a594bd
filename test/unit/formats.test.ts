import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { FieldValue } from "../../src/connectors/types.ts";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import { readCsv } from "../../src/formats/csv-reader.ts";
import { readJsonLines } from "../../src/formats/jsonl-reader.ts";
import { createEncoder, type OutputFileType } from "../../src/formats/record-encoder.ts";

async function* chunks(text: string | Buffer, sizes: number[] = []): AsyncGenerator<Buffer> {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  let at = 0;
  for (const s of sizes) {
    if (at >= buf.length) break;
    yield buf.subarray(at, at + s);
    at += s;
  }
  if (at < buf.length) yield buf.subarray(at);
}

async function collect(gen: AsyncIterable<{ fields: string[]; rows: FieldValue[][]; bytes: number }>) {
  const batches = [];
  for await (const b of gen) batches.push(b);
  return {
    fields: batches[0]?.fields ?? [],
    rows: batches.flatMap((b) => b.rows),
    bytes: batches.reduce((n, b) => n + b.bytes, 0),
    batches,
  };
}

async function encode(type: OutputFileType, fields: string[], batches: FieldValue[][][], preserve = false) {
  const parts: Buffer[] = [];
  const enc = createEncoder(type, { write: (c) => parts.push(c) }, { preserveSourceDataTyping: preserve });
  for (const rows of batches) await enc.write(fields, rows);
  await enc.close();
  return Buffer.concat(parts);
}

test("CSV reader: quoting, embedded line breaks, CRLF, BOM, batches and byte counts", async () => {
  const text = '\uFEFFid,name,note\r\n1,"Smith, J","said ""hi"""\r\n2,plain,"two\r\nlines"\r\n3,,\r\n';
  const r = await collect(readCsv(chunks(text, [3, 5, 7]), 2));
  assert.deepEqual(r.fields, ["id", "name", "note"]);
  assert.deepEqual(r.rows, [
    ["1", "Smith, J", 'said "hi"'],
    ["2", "plain", "two\r\nlines"],
    ["3", "", ""],
  ]);
  assert.deepEqual(
    r.batches.map((b) => b.rows.length),
    [2, 1],
  );
  assert.equal(r.bytes, Buffer.byteLength(text));
});

test("CSV reader: last line without line break, header only, empty input", async () => {
  assert.deepEqual((await collect(readCsv(chunks("a,b\n1,2"), 10))).rows, [["1", "2"]]);
  const headerOnly = await collect(readCsv(chunks("a,b"), 10));
  assert.deepEqual(headerOnly.rows, []);
  assert.equal(headerOnly.bytes, 3);
  assert.deepEqual((await collect(readCsv(chunks(""), 10))).rows, []);
  await assert.rejects(collect(readCsv(chunks("a,,b\n1,2,3\n"), 10)), /empty column name/);
});

test("CSV writer → reader round trip for any strings and any chunking", async () => {
  const cell = fc.oneof(fc.string(), fc.constantFrom('"', ",", "\n", "\r\n", " x ", "é€😀"));
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }).chain((width) =>
        fc.record({
          rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 20 }),
          cuts: fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 40 }),
          width: fc.constant(width),
        }),
      ),
      async ({ rows, cuts, width }) => {
        const fields = Array.from({ length: width }, (_, i) => `f${i}`);
        const bytes = await encode("CSV", fields, [rows]);
        const back = await collect(readCsv(chunks(bytes, cuts), 7));
        assert.deepEqual(back.fields, fields);
        assert.deepEqual(back.rows, rows);
        assert.equal(back.bytes, bytes.length);
      },
    ),
    { numRuns: 200 },
  );
});

test("JSON Lines reader: scalars kept, nested values as JSON text, keys unioned, bad lines named", async () => {
  const text = '{"a":1,"b":"x"}\n\n{"b":null,"c":{"d":[1,2]},"a":true}\r\n{"e":1.5}';
  const r = await collect(readJsonLines(chunks(text, [4, 9]), 2));
  assert.deepEqual(r.batches[0]!.fields, ["a", "b", "c"]);
  assert.deepEqual(r.batches[0]!.rows, [
    [1, "x", null],
    [true, null, '{"d":[1,2]}'],
  ]);
  assert.deepEqual(r.batches[1]!.fields, ["a", "b", "c", "e"]);
  assert.deepEqual(r.batches[1]!.rows, [[null, null, null, 1.5]]);
  assert.equal(r.bytes, Buffer.byteLength(text));
  await assert.rejects(collect(readJsonLines(chunks('{"a":1}\n{oops}\n'), 10)), /line 2/);
  await assert.rejects(collect(readJsonLines(chunks("[1,2]\n"), 10)), /JSON object per line/);
});

test("CSV reader: blank lines, CRLF and escaped quotes split at every chunk boundary", async () => {
  const text = 'a,b\r\n\r\n"x""y",\r\n\n"",z\r\n2,"q"\r\n';
  for (let cut = 1; cut < text.length; cut++) {
    const r = await collect(readCsv(chunks(text, Array(40).fill(cut)), 10));
    assert.deepEqual(
      r.rows,
      [
        ['x"y', ""],
        ["", "z"],
        ["2", "q"],
      ],
      `chunks of ${cut}`,
    );
  }
  await assert.rejects(collect(readCsv(chunks('a\n"open'), 10)), /row 2: unterminated quoted field/);
  await assert.rejects(collect(readCsv(chunks('a\n"x"y\n'), 10)), /after a closing quote/);
});

/** One record holding a `mb` MB field, fed in 64 KiB chunks as an object stream delivers it. */
function longRecord(kind: "csv" | "jsonl", mb: number): Buffer {
  const big = "x".repeat(mb * 1024 * 1024);
  return Buffer.from(kind === "csv" ? `id,v\n1,"${big}"\n2,b\n` : `{"id":1,"v":"${big}"}\n{"id":2}\n`);
}
const streamed = (buf: Buffer) => chunks(buf, Array(Math.ceil(buf.length / 65536)).fill(65536));

/**
 * Runs `fn` counting the characters String.prototype.indexOf visits (the readers find quotes, commas
 * and line breaks with it): the work of the scan, counted rather than timed, so a slow machine can't
 * make it fail and a fast one can't hide a quadratic scan.
 */
async function indexOfVisits(fn: () => Promise<void>): Promise<number> {
  const original = String.prototype.indexOf;
  let visited = 0;
  String.prototype.indexOf = function (this: string, search: string, from?: number) {
    const start = Math.max(0, Math.min(from ?? 0, this.length));
    const at = original.call(this, search, start);
    visited += (at < 0 ? this.length : at + search.length) - start;
    return at;
  };
  try {
    await fn();
  } finally {
    String.prototype.indexOf = original;
  }
  return visited;
}

test("a 16 MB field is scanned in time linear in its length (CSV and JSON Lines)", async () => {
  // Re-scanning the carried-over tail on every 64 KiB chunk visited each character ~128 times at
  // 16 MB (12-25 s here); a scanner that keeps its state across chunks visits each about once.
  const length = 16 * 1024 * 1024;
  for (const kind of ["csv", "jsonl"] as const) {
    const input = streamed(longRecord(kind, 16));
    let rows: FieldValue[][] = [];
    const visited = await indexOfVisits(async () => {
      rows = (await collect(kind === "csv" ? readCsv(input, 10) : readJsonLines(input, 10))).rows;
    });
    assert.equal(rows.length, 2);
    assert.equal(String(rows[0]![1]).length, length);
    assert.ok(visited < 3 * length, `${kind}: ${visited} characters visited for a ${length}-character field`);
  }
});

test("a record longer than the maximum record size fails the read with a message naming the limit", async () => {
  const MB = 1024 * 1024;
  const csv = longRecord("csv", 2);
  const json = longRecord("jsonl", 2);
  await assert.rejects(collect(readCsv(streamed(csv), 10, "s3://b/k.csv", MB)), (e: unknown) => {
    assert.ok(e instanceof ConnectorServerError);
    assert.match(
      e.message,
      /^CSV s3:\/\/b\/k\.csv, row 2: the record is longer than the maximum record size \(1 MB\)/,
    );
    return true;
  });
  await assert.rejects(collect(readJsonLines(streamed(json), 10, "s3://b/k.jsonl", MB)), (e: unknown) => {
    assert.ok(e instanceof ConnectorServerError);
    assert.match(
      e.message,
      /^JSON s3:\/\/b\/k\.jsonl, line 1: the record is longer than the maximum record size \(1 MB\)/,
    );
    return true;
  });
  // In one chunk, and with no line break at all (an unclosed quote reads to the end of the file).
  await assert.rejects(collect(readCsv([csv], 10, "k", MB)), /row 2: the record is longer/);
  await assert.rejects(
    collect(readCsv(streamed(Buffer.from(`a\n"${"y".repeat(2 * MB)}`)), 10, "k", MB)),
    /row 2: the record is longer/,
  );
  await assert.rejects(
    collect(readJsonLines([json.subarray(0, json.length - 10)], 10, "k", MB)),
    /line 1: the record is longer/,
  );
  // Rows up to the limit are read.
  assert.equal((await collect(readCsv(streamed(csv), 10, "k", 3 * MB))).rows.length, 2);
  assert.equal((await collect(readJsonLines(streamed(json), 10, "k", 3 * MB))).rows.length, 2);
});

test("JSON Lines writer → reader round trip", async () => {
  const value = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 20 }),
      async (rows) => {
        const fields = ["x", "y", 'we"ird'];
        const bytes = await encode("JSON", fields, [rows]);
        const back = await collect(readJsonLines(chunks(bytes), 100));
        const expected = rows.map((r) => r.map((v) => (Object.is(v, -0) ? 0 : v)));
        assert.deepEqual(back.rows, expected);
      },
    ),
  );
});

async function readParquet(bytes: Buffer) {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const metadata = await parquetMetadataAsync(file);
  const rows = await parquetReadObjects({ file });
  const types = Object.fromEntries(
    metadata.schema
      .slice(1)
      .map((s) => [s.name, `${s.type}${s.converted_type ? `/${s.converted_type}` : ""}`]),
  );
  return { rows, types, numRows: Number(metadata.num_rows) };
}

test("Parquet writer: every column UTF8 unless preserveSourceDataTyping", async () => {
  const fields = ["id", "price", "ok", "name"];
  const rows: FieldValue[][] = [
    [1, 2.5, true, "a"],
    [2, null, false, null],
  ];
  const plain = await readParquet(await encode("PARQUET", fields, [rows]));
  assert.deepEqual(plain.types, {
    id: "BYTE_ARRAY/UTF8",
    price: "BYTE_ARRAY/UTF8",
    ok: "BYTE_ARRAY/UTF8",
    name: "BYTE_ARRAY/UTF8",
  });
  assert.deepEqual(plain.rows, [
    { id: "1", price: "2.5", ok: "true", name: "a" },
    { id: "2", price: null, ok: "false", name: null },
  ]);

  const typed = await readParquet(await encode("PARQUET", fields, [rows, [[3, 4, true, "c"]]], true));
  // DuckDB annotates INT64 columns as INT_64 (signed 64-bit): the same values for any reader.
  assert.deepEqual(typed.types, {
    id: "INT64/INT_64",
    price: "DOUBLE",
    ok: "BOOLEAN",
    name: "BYTE_ARRAY/UTF8",
  });
  assert.equal(typed.numRows, 3);
  assert.deepEqual(typed.rows[0], { id: 1n, price: 2.5, ok: true, name: "a" });
  assert.deepEqual(typed.rows[2], { id: 3n, price: 4, ok: true, name: "c" });
  await assert.rejects(encode("PARQUET", ["n"], [[[1]], [["text"]]], true), /typed INT64/);
});

test("Parquet writer: many rows across row groups", async () => {
  const rows: FieldValue[][] = Array.from({ length: 25_000 }, (_, i) => [i, `r${i}`]);
  const out = await readParquet(
    await encode("PARQUET", ["i", "s"], [rows.slice(0, 12_345), rows.slice(12_345)], true),
  );
  assert.equal(out.numRows, 25_000);
  assert.deepEqual(out.rows[24_999], { i: 24_999n, s: "r24999" });
});

test("JSON Lines writer: each line is exactly JSON.stringify of the record (any string, lone surrogates too)", async () => {
  const value = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string({ unit: fc.constantFrom('"', "\\", "\n", "\u0000", "\u001f", "\ud800", "\udfff", "é", "a") }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 20 }), async (rows) => {
      const fields = ["a", 'b"\\'];
      const text = (await encode("JSON", fields, [rows])).toString("utf8");
      const expected = rows.map((r) => `${JSON.stringify({ [fields[0]!]: r[0], [fields[1]!]: r[1] })}\n`);
      assert.equal(text, expected.join(""));
    }),
  );
});

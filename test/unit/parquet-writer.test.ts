/**
 * The Parquet writer read back by an independent reader (hyparquet): compression, dictionary encoding,
 * exact values, types and nulls; DuckDB's writer and the hyparquet-writer fallback.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { FieldValue } from "../../src/connectors/types.ts";
import { JsParquetEncoder } from "../../src/formats/parquet-js-writer.ts";
import { ParquetEncoder } from "../../src/formats/parquet-writer.ts";

function sink() {
  const parts: Buffer[] = [];
  return {
    parts,
    write: (c: Buffer) => parts.push(c),
    bytes: () => parts.reduce((n, p) => n + p.length, 0),
    file: () => {
      const b = Buffer.concat(parts);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    },
  };
}

test("Parquet: Snappy pages, dictionary for a repetitive column, plain for unique strings", async () => {
  const out = sink();
  const enc = new ParquetEncoder(out, false);
  const rows: FieldValue[][] = Array.from({ length: 5_000 }, (_, i) => [
    i % 2 ? "active" : "idle",
    `unique value ${i} ${"x".repeat(i % 17)}`,
  ]);
  await enc.write(["status", "note"], rows);
  assert.equal(enc.writer, "duckdb");
  await enc.close();
  const file = out.file();
  const meta = await parquetMetadataAsync(file);
  const [status, note] = meta.row_groups[0]!.columns.map((c) => c.meta_data!);
  assert.equal(status!.codec, "SNAPPY");
  assert.equal(note!.codec, "SNAPPY");
  // Parquet 1.0 files (DuckDB's default, read by every reader) name it PLAIN_DICTIONARY.
  const dictionary = (e: string[]) => e.includes("PLAIN_DICTIONARY") || e.includes("RLE_DICTIONARY");
  assert.ok(dictionary(status!.encodings), `status encodings: ${status!.encodings}`);
  assert.ok(!dictionary(note!.encodings), `note encodings: ${note!.encodings}`);
  // Snappy + dictionary: far smaller than the values themselves.
  const raw = rows.reduce((n, r) => n + String(r[0]).length + String(r[1]).length, 0);
  assert.ok(file.byteLength < raw / 2, `${file.byteLength} bytes for ${raw} bytes of values`);
  const back = await parquetReadObjects({ file });
  assert.deepEqual(
    back.map((r) => [r.status, r.note]),
    rows,
  );
});

test("Parquet, hyparquet-writer: row groups reach the sink as they fill, not at close; every row reads back", async () => {
  const out = sink();
  const enc = new JsParquetEncoder(out, true);
  let sent = 0;
  let beforeClose = 0;
  // Batches of 7,777 rows: row groups fill in the middle of a batch.
  while (sent < 250_000) {
    const n = Math.min(7_777, 250_000 - sent);
    const rows: FieldValue[][] = Array.from({ length: n }, (_, j) => [sent + j, `r${sent + j}`]);
    await enc.write(["i", "s"], rows);
    sent += rows.length;
  }
  beforeClose = out.bytes();
  await enc.close();
  const meta = await parquetMetadataAsync(out.file());
  assert.equal(Number(meta.num_rows), 250_000);
  assert.ok(meta.row_groups.length >= 3, `${meta.row_groups.length} row groups`);
  assert.ok(
    meta.row_groups.every((g) => Number(g.num_rows) <= 25_000),
    "row groups are bounded",
  );
  // Everything but the last (partial) row group and the footer was already handed over.
  const lastGroup = Number(meta.row_groups.at(-1)!.total_compressed_size ?? 0n);
  assert.ok(
    beforeClose >= out.bytes() - lastGroup - 64 * 1024,
    `${beforeClose} of ${out.bytes()} before close`,
  );
  const back = await parquetReadObjects({ file: out.file() });
  assert.equal(back.length, 250_000);
  assert.ok(
    back.every((r, k) => r.i === BigInt(k) && r.s === `r${k}`),
    "every row, in order",
  );
  assert.deepEqual(back[0], { i: 0n, s: "r0" });
  assert.deepEqual(back[123_456], { i: 123_456n, s: "r123456" });
  assert.deepEqual(back[249_999], { i: 249_999n, s: "r249999" });
});

test("Parquet: an object that never got a row is still a valid (empty) file", async () => {
  const out = sink();
  const enc = new ParquetEncoder(out, false);
  await enc.close();
  const meta = await parquetMetadataAsync(out.file());
  assert.equal(Number(meta.num_rows), 0);
  assert.deepEqual(await parquetReadObjects({ file: out.file() }), []);
});

test("Parquet round trip (typed and untyped): values, nulls and types exact", async () => {
  const int = fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.constant(null));
  const dbl = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null));
  const bool = fc.oneof(fc.boolean(), fc.constant(null));
  const str = fc.oneof(fc.string({ unit: "grapheme" }), fc.constant(null));
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(int, dbl, bool, str), { minLength: 1, maxLength: 40 }),
      fc.boolean(),
      async (rows, typed) => {
        const out = sink();
        const enc = new ParquetEncoder(out, typed);
        await enc.write(["i", "d", "b", "s"], rows);
        await enc.close();
        const back = await parquetReadObjects({ file: out.file() });
        const expected = rows.map(([i, d, b, s]) =>
          typed
            ? {
                i: i === null ? null : BigInt(i),
                d: d === null ? null : inferredDouble(rows, d),
                b,
                s,
              }
            : {
                i: i === null ? null : String(i),
                d: d === null ? null : String(d),
                b: b === null ? null : String(b),
                s,
              },
        );
        assert.deepEqual(back, expected);
      },
    ),
    { numRuns: 60 },
  );
});

/** A DOUBLE column of only (safe) integral values infers INT64, so the reader returns a bigint. */
function inferredDouble(rows: FieldValue[][], d: number): number | bigint {
  const allIntegral = rows.every((r) => r[1] === null || Number.isSafeInteger(r[1]));
  return allIntegral ? BigInt(d) : Object.is(d, -0) ? -0 : d;
}

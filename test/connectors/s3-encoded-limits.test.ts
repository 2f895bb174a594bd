/**
 * The S3 destination's writeEncoded: cancel and abort leave nothing, the Parquet writer's record-length
 * rules hold for staged records, and which flows get an encodedFormat at all.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import type { SourceFlowConfig, Task } from "../../src/domain/flow.ts";
import { type Backend, readAll, startBackend } from "./s3-backends.ts";
import {
  BUCKET,
  type context,
  encode,
  FORMAT,
  type Kind,
  openWriter,
  parquetRows,
  rowsOf,
  sig,
} from "./s3-encoded-helpers.ts";

describe("S3 destination: encoded records, limits and cancels (local backend)", () => {
  let b: Backend;
  before(async () => {
    b = await startBackend("local");
    await b.store.createBucket(BUCKET, sig());
  });
  after(async () => b.close());

  const fields = ["id", "key", "c2", "c3", "c4"];

  for (const kind of ["JSON", "CSV", "PARQUET"] as const) {
    test(`${kind}: abort after encoded records, and a cancel mid-run, leave no object, upload or temp file`, async () => {
      const tempDir = path.join(b.dataDir, "tmp", "parquet");
      const staged = async () =>
        (await readdir(tempDir).catch(() => [])).filter((n) => !n.endsWith("-spill"));
      const props = {
        bucketPrefix: `abort-${kind}`,
        s3OutputFormatConfig: {
          fileType: kind,
          aggregationConfig: { aggregationType: "SingleFile" as const },
        },
      };
      // 6–10 MB: a part has been uploaded when the abort comes.
      const w = await openWriter(b, `abort-${kind}`, props);
      for (let i = 0; i < 12; i++) {
        const p = await w.writeEncoded!(await encode(FORMAT[kind], fields, rowsOf(10_000, i * 10_000, 5)));
        assert.equal(p.recordsWritten, 0);
      }
      if (kind !== "PARQUET") assert.equal((await b.openUploads(BUCKET)).length, 1);
      else assert.equal((await staged()).filter((n) => n.endsWith(".csv")).length, 1);
      assert.equal((await w.abort()).recordsWritten, 0);

      const cancel = new AbortController();
      const c = await openWriter(b, `cancel-${kind}`, props, { signal: cancel.signal });
      await c.writeEncoded!(await encode(FORMAT[kind], fields, rowsOf(60_000, 0, 5)));
      cancel.abort();
      await assert.rejects(
        c.writeEncoded!(await encode(FORMAT[kind], fields, rowsOf(10, 0, 5))),
        (e: unknown) => (e as Error).name === "AbortError",
      );
      await assert.rejects(c.finish(), (e: unknown) => (e as Error).name === "AbortError");
      assert.equal((await c.abort()).recordsWritten, 0);

      assert.deepEqual(await b.store.list(BUCKET, `abort-${kind}/`, sig()), []);
      assert.deepEqual(await b.openUploads(BUCKET), []);
      assert.deepEqual(await staged(), []);
    });
  }

  test("PARQUET: a 3 MB record is read with a larger max_line_size; one of 8 MB fails, saying why", async () => {
    const props = {
      bucketPrefix: "long",
      s3OutputFormatConfig: {
        fileType: "PARQUET" as const,
        aggregationConfig: { aggregationType: "SingleFile" as const },
      },
    };
    const w = await openWriter(b, "long-ok", props);
    const long = "w".repeat(3 * 1024 * 1024);
    await w.writeEncoded!(
      await encode(
        "staging-csv",
        ["id", "v"],
        [
          ["1", long],
          ["2", "short"],
        ],
      ),
    );
    assert.equal((await w.finish()).recordsWritten, 2);
    const [obj] = await b.store.list(BUCKET, "long/", sig());
    const rows = await parquetRows(await readAll(b.store, BUCKET, obj!.key));
    assert.deepEqual(
      rows.map((r) => [r.id, (r.v as string).length]),
      [
        ["1", long.length],
        ["2", 5],
      ],
    );

    const tooLong = await openWriter(b, "long-fail", { ...props, bucketPrefix: "long-fail" });
    const huge = await encode("staging-csv", ["id", "v"], [["1", "h".repeat(8 * 1024 * 1024)]]);
    await assert.rejects(
      tooLong.writeEncoded!(huge),
      (e: unknown) =>
        e instanceof ConnectorServerError && /longer than the Parquet writer takes/.test(e.message),
    );
    await tooLong.abort();
  });

  test("encodedFormat: none for partitioned flows, nor for typed Parquet from a source of typed values", async () => {
    const format = async (fileType: Kind, o: Parameters<typeof context>[2] = {}, preserve = false) =>
      (
        await openWriter(
          b,
          "fmt",
          { s3OutputFormatConfig: { fileType, preserveSourceDataTyping: preserve } },
          o,
        )
      ).encodedFormat;
    assert.equal(await format("JSON"), "jsonl");
    assert.equal(await format("CSV"), "csv");
    assert.equal(await format("PARQUET"), "staging-csv");
    assert.equal(await format("PARQUET", {}, true), "staging-csv", "a CSV source: every value a string");
    const jsonSource: SourceFlowConfig = {
      connectorType: "S3",
      sourceConnectorProperties: { S3: { s3InputFormatConfig: { s3InputFileType: "JSON" } } },
    };
    assert.equal(await format("PARQUET", { source: jsonSource }, true), undefined);
    assert.equal(await format("PARQUET", { source: jsonSource }, false), "staging-csv");
    const partition: Task = { taskType: "Partition", sourceFields: ["c2"], taskProperties: {} };
    for (const kind of ["JSON", "CSV", "PARQUET"] as const)
      assert.equal(await format(kind, { tasks: [partition] }), undefined, kind);
    const w = await openWriter(
      b,
      "fmt",
      { s3OutputFormatConfig: { fileType: "JSON" } },
      { tasks: [partition] },
    );
    await assert.rejects(w.writeEncoded!(await encode("jsonl", ["a"], [["1"]])), ConnectorServerError);
  });
});

/**
 * The S3 destination's writeEncoded (the fast path's side): the same records given as write() batches
 * and as encoded records (made by the project's own encoders into a capturing sink) give the same
 * objects — byte for byte for JSON lines and CSV, the same rows read back for Parquet — with the same
 * object boundaries (targetFileSize, per batch, a field change) and counts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { S3DestinationProperties } from "../../src/connectors/s3/shapes.ts";
import type { WriteProgress } from "../../src/connectors/types.ts";
import { type Backend, readAll, startBackend } from "./s3-backends.ts";
import {
  type Batch,
  BUCKET,
  encode,
  FORMAT,
  type Kind,
  openWriter,
  parquetRows,
  rowsOf,
  sig,
} from "./s3-encoded-helpers.ts";

interface Outcome {
  /** Object names with the execution id taken out, in key order. */
  names: string[];
  objects: Buffer[];
  progress: WriteProgress[];
}

async function run(
  b: Backend,
  kind: Kind,
  executionId: string,
  props: Omit<S3DestinationProperties, "bucketName">,
  batches: Batch[],
  encoded: boolean,
): Promise<Outcome> {
  const w = await openWriter(b, executionId, props);
  assert.equal(w.encodedFormat, FORMAT[kind]);
  const progress: WriteProgress[] = [];
  for (const batch of batches) {
    progress.push(
      encoded
        ? await w.writeEncoded!(await encode(FORMAT[kind], batch.fields, batch.rows))
        : await w.write({ ...batch, bytes: 0 }),
    );
  }
  progress.push(await w.finish());
  const prefix = `${props.bucketPrefix}/`;
  const listed = await b.store.list(BUCKET, prefix, sig());
  const objects = await Promise.all(listed.map((o) => readAll(b.store, BUCKET, o.key)));
  const last = progress.at(-1)!;
  assert.equal(
    last.bytesWritten,
    listed.reduce((n, o) => n + o.size, 0),
  );
  return {
    names: listed.map((o) => o.key.slice(prefix.length).replaceAll(executionId, "X")),
    objects,
    progress,
  };
}

async function assertSame(kind: Kind, batch: Outcome, enc: Outcome): Promise<void> {
  assert.deepEqual(enc.names, batch.names);
  assert.deepEqual(
    enc.progress.map((p) => p.recordsWritten),
    batch.progress.map((p) => p.recordsWritten),
  );
  if (kind === "PARQUET") {
    for (let i = 0; i < batch.objects.length; i++)
      assert.deepEqual(
        await parquetRows(enc.objects[i]!),
        await parquetRows(batch.objects[i]!),
        batch.names[i]!,
      );
    return;
  }
  assert.deepEqual(enc.progress, batch.progress);
  for (let i = 0; i < batch.objects.length; i++)
    assert.ok(enc.objects[i]!.equals(batch.objects[i]!), `${batch.names[i]} differs`);
}

describe("S3 destination: encoded records as write() batches (local backend)", () => {
  let b: Backend;
  before(async () => {
    b = await startBackend("local");
    await b.store.createBucket(BUCKET, sig());
  });
  after(async () => b.close());

  const fields = ["id", "key", "c2", "c3", "c4"];
  const other = ["id", "key", "c2", "extra"];
  // ~2.4 MB in 24 batches, then the fields change for the last batches: several 1 MB objects, then a new one.
  const sized: Batch[] = [
    ...Array.from({ length: 24 }, (_, i) => ({ fields, rows: rowsOf(1_500, i * 1_500, 5) })),
    { fields: other, rows: rowsOf(700, 50_000, 4) },
    { fields: other, rows: rowsOf(10, 60_000, 4) },
  ];

  for (const kind of ["JSON", "CSV", "PARQUET"] as const) {
    test(`${kind}: SingleFile with targetFileSize and a field change gives the same objects`, async () => {
      const props = (p: string) => ({
        bucketPrefix: p,
        s3OutputFormatConfig: {
          fileType: kind,
          aggregationConfig: { aggregationType: "SingleFile" as const, targetFileSize: 1 },
          prefixConfig: { pathPrefixHierarchy: [] },
        },
      });
      const batch = await run(b, kind, `batch-${kind}`, props(`size-b-${kind}`), sized, false);
      const enc = await run(b, kind, `enc-${kind}`, props(`size-e-${kind}`), sized, true);
      assert.ok(batch.names.length >= 3, `objects: ${batch.names.join(" ")}`);
      await assertSame(kind, batch, enc);
      const total = sized.reduce((n, x) => n + x.rows.length, 0);
      assert.equal(enc.progress.at(-1)!.recordsWritten, total);
    });

    test(`${kind}: aggregation None writes one object per batch, as write() does`, async () => {
      const batches: Batch[] = [
        { fields, rows: rowsOf(40, 0, 5) },
        { fields, rows: [] },
        { fields, rows: rowsOf(3, 40, 5) },
      ];
      const props = (p: string) => ({ bucketPrefix: p, s3OutputFormatConfig: { fileType: kind } });
      const batch = await run(b, kind, `batch-n-${kind}`, props(`none-b-${kind}`), batches, false);
      const enc = await run(b, kind, `enc-n-${kind}`, props(`none-e-${kind}`), batches, true);
      assert.equal(batch.names.length, 2);
      await assertSame(kind, batch, enc);
    });
  }

  test("PARQUET: fields DuckDB would rename go to the JS writer, the staged lines parsed back", async () => {
    const odd = ["id", "Name", "name", "v"];
    const batches: Batch[] = [
      { fields: odd, rows: rowsOf(500, 0, 4) },
      { fields: odd, rows: [["x", "", null, 'a "b", c\nd']] },
    ];
    const props = (p: string) => ({
      bucketPrefix: p,
      s3OutputFormatConfig: {
        fileType: "PARQUET" as const,
        aggregationConfig: { aggregationType: "SingleFile" as const },
      },
    });
    const batch = await run(b, "PARQUET", "batch-odd", props("odd-b"), batches, false);
    const enc = await run(b, "PARQUET", "enc-odd", props("odd-e"), batches, true);
    await assertSame("PARQUET", batch, enc);
    const back = await parquetRows(enc.objects[0]!);
    assert.deepEqual(back.at(-1), { id: "x", Name: "", name: null, v: 'a "b", c\nd' });
  });
});

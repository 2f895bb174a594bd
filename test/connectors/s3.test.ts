import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { createS3Destination } from "../../src/connectors/s3/s3-destination.ts";
import { createS3Source } from "../../src/connectors/s3/s3-source.ts";
import type { FieldValue, RecordBatch, RunContext } from "../../src/connectors/types.ts";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import type { FlowDefinition, S3DestinationProperties, S3SourceProperties } from "../../src/domain/flow.ts";
import { readCsv } from "../../src/formats/csv-reader.ts";
import { readJsonLines } from "../../src/formats/jsonl-reader.ts";
import { type Backend, readAll, startBackend } from "./s3-backends.ts";

const startedAt = new Date(Date.UTC(2024, 2, 5, 7, 9, 30));
const sig = () => AbortSignal.timeout(60_000);

function context(b: Backend, executionId: string, batchRows = 1000): RunContext {
  const flow: FlowDefinition = {
    flowName: "orders-flow",
    flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/orders-flow",
    accountId: "000000000000",
    region: "us-east-1",
    triggerConfig: { triggerType: "OnDemand" },
    sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: {} },
    destinationFlowConfigList: [],
    tasks: [],
    schemaVersion: 3,
  };
  return { flow, executionId, startedAt, env: { ...b.env, batchRows } };
}

async function readSource(b: Backend, props: S3SourceProperties, batchRows = 2) {
  const src = createS3Source(
    { connectorType: "S3", sourceConnectorProperties: { S3: props } },
    context(b, "x", batchRows),
  );
  const batches: RecordBatch[] = [];
  for await (const batch of src.read(sig())) batches.push(batch);
  return batches;
}

function openWriter(b: Backend, props: S3DestinationProperties, executionId = "exec-1") {
  return createS3Destination(
    { connectorType: "S3", destinationConnectorProperties: { S3: props } },
    context(b, executionId),
  ).open(sig());
}

async function keys(b: Backend, bucket: string, prefix = ""): Promise<string[]> {
  return (await b.store.list(bucket, prefix, sig())).map((o) => o.key);
}

async function parseBack(b: Backend, bucket: string, key: string, kind: "CSV" | "JSON" | "PARQUET") {
  const bytes = await readAll(b.store, bucket, key);
  if (kind === "PARQUET") {
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    return parquetReadObjects({ file });
  }
  const out: Record<string, FieldValue>[] = [];
  const reader = kind === "CSV" ? readCsv([bytes], 1000) : readJsonLines([bytes], 1000);
  for await (const batch of reader) {
    for (const r of batch.rows) out.push(Object.fromEntries(batch.fields.map((f, i) => [f, r[i] ?? null])));
  }
  return out;
}

const rowsOf = (n: number, from = 0): FieldValue[][] =>
  Array.from({ length: n }, (_, i) => [from + i, `name ${from + i}`, (from + i) % 2 === 0 ? "EU" : "US"]);

for (const kind of ["local", "s3rver"] as const) {
  describe(`S3 connector on the ${kind} backend`, () => {
    let b: Backend;
    before(async () => {
      b = await startBackend(kind);
      for (const bucket of ["src-bucket", "dst-bucket"]) await b.store.createBucket(bucket, sig());
      const put = (key: string, body: string) => b.store.put("src-bucket", key, Buffer.from(body), sig());
      await put("in/a.csv", 'id,name\n1,"Smith, J"\n2,plain\n3,"multi\nline"\n');
      await put("in/sub/b.csv", "id,name\r\n4,x\r\n");
      await put("in/empty.csv", "");
      await put("inside-other/c.csv", "id,name\n9,no\n");
      await put("json/a.jsonl", '{"id":1,"tags":["a"]}\n{"id":2,"ok":true}\n');
    });
    after(async () => b.close());

    test("source reads every CSV object under the prefix folder, in batches, counting bytes", async () => {
      const batches = await readSource(b, { bucketName: "src-bucket", bucketPrefix: "in" });
      const rows = batches.flatMap((x) => x.rows).sort((p, q) => Number(p[0]) - Number(q[0]));
      assert.deepEqual(rows, [
        ["1", "Smith, J"],
        ["2", "plain"],
        ["3", "multi\nline"],
        ["4", "x"],
      ]);
      assert.ok(batches.every((x) => x.rows.length <= 2 && x.fields.join() === "id,name"));
      const size = (await b.store.list("src-bucket", "in/", sig())).reduce((n, o) => n + o.size, 0);
      assert.equal(
        batches.reduce((n, x) => n + x.bytes, 0),
        size,
      );
    });

    test("source reads JSON Lines; nested values become JSON text", async () => {
      const batches = await readSource(b, {
        bucketName: "src-bucket",
        bucketPrefix: "json/",
        s3InputFormatConfig: { s3InputFileType: "JSON" },
      });
      assert.deepEqual(batches.at(-1)!.fields, ["id", "tags", "ok"]);
      assert.deepEqual(
        batches.flatMap((x) => x.rows),
        [
          [1, '["a"]', null],
          [2, null, true],
        ],
      );
    });

    test("source: a missing bucket is a ConnectorServerError naming it", async () => {
      await assert.rejects(readSource(b, { bucketName: "no-such-bucket" }), (e: unknown) => {
        assert.ok(e instanceof ConnectorServerError);
        assert.match(e.message, /no-such-bucket/);
        return true;
      });
    });

    test("source stops promptly when the signal aborts mid-read", async () => {
      const big = `id,v\n${Array.from({ length: 200_000 }, (_, i) => `${i},${"x".repeat(40)}`).join("\n")}\n`;
      await b.store.put("src-bucket", "big/one.csv", Buffer.from(big), sig());
      const ctl = new AbortController();
      const src = createS3Source(
        {
          connectorType: "S3",
          sourceConnectorProperties: { S3: { bucketName: "src-bucket", bucketPrefix: "big" } },
        },
        context(b, "x", 1000),
      );
      let seen = 0;
      const t0 = Date.now();
      await assert.rejects(
        (async () => {
          for await (const batch of src.read(ctl.signal)) {
            seen += batch.rows.length;
            if (seen >= 2000) ctl.abort();
          }
        })(),
        (e: unknown) => (e as Error).name === "AbortError",
      );
      assert.ok(seen < 200_000, `read ${seen} rows after abort`);
      assert.ok(Date.now() - t0 < 5000);
    });

    test("destination CSV, aggregation None: one object per batch, default layout with the execution id", async () => {
      const w = await openWriter(b, {
        bucketName: "dst-bucket",
        bucketPrefix: "csv-out",
        s3OutputFormatConfig: { fileType: "CSV" },
      });
      const fields = ["id", "name", "region"];
      await w.write({ fields, rows: rowsOf(3), bytes: 0 }, sig());
      const p = await w.write({ fields, rows: [[4, 'say "hi", ok', null]], bytes: 0 }, sig());
      assert.equal(p.recordsWritten, 4);
      const fin = await w.finish(sig());
      assert.equal(fin.recordsWritten, 4);
      const listed = await b.store.list("dst-bucket", "csv-out/", sig());
      assert.deepEqual(
        listed.map((o) => o.key),
        [
          "csv-out/orders-flow/exec-1/exec-1-part-00000.csv",
          "csv-out/orders-flow/exec-1/exec-1-part-00001.csv",
        ],
      );
      assert.equal(
        fin.bytesWritten,
        listed.reduce((n, o) => n + o.size, 0),
      );
      assert.deepEqual(await parseBack(b, "dst-bucket", listed[1]!.key, "CSV"), [
        { id: "4", name: 'say "hi", ok', region: "" },
      ]);
    });

    test("destination JSON, SingleFile with partitions and a date/schema-version/execution-id layout", async () => {
      const w = await openWriter(
        b,
        {
          bucketName: "dst-bucket",
          bucketPrefix: "/json-out/",
          s3OutputFormatConfig: {
            fileType: "JSON",
            aggregationConfig: { aggregationType: "SingleFile" },
            prefixConfig: {
              prefixType: "PATH_AND_FILENAME",
              prefixFormat: "DAY",
              pathPrefixHierarchy: ["SCHEMA_VERSION", "EXECUTION_ID"],
            },
          },
        },
        "exec-2",
      );
      const fields = ["id", "name", "region"];
      for (let i = 0; i < 3; i++)
        await w.write({ fields, rows: rowsOf(4, i * 4), bytes: 0, partitionKeys: ["region"] }, sig());
      const fin = await w.finish(sig());
      assert.equal(fin.recordsWritten, 12);
      const base = "json-out/orders-flow/schemaVersion_3/2024/03/05/exec-2/";
      assert.deepEqual(await keys(b, "dst-bucket", "json-out/"), [
        `${base}region=EU/2024-03-05-exec-2-part-00000.jsonl`,
        `${base}region=US/2024-03-05-exec-2-part-00001.jsonl`,
      ]);
      const eu = await parseBack(
        b,
        "dst-bucket",
        `${base}region=EU/2024-03-05-exec-2-part-00000.jsonl`,
        "JSON",
      );
      assert.equal(eu.length, 6);
      assert.deepEqual(eu[0], { id: 0, name: "name 0", region: "EU" });
    });

    test("destination Parquet rolls objects at targetFileSize; typed columns read back with hyparquet", async () => {
      const w = await openWriter(b, {
        bucketName: "dst-bucket",
        bucketPrefix: "pq",
        s3OutputFormatConfig: {
          fileType: "PARQUET",
          preserveSourceDataTyping: true,
          aggregationConfig: { aggregationType: "SingleFile", targetFileSize: 1 },
          prefixConfig: { pathPrefixHierarchy: [] },
        },
      });
      const fields = ["id", "name", "score"];
      let total = 0;
      for (let i = 0; i < 8; i++) {
        const rows = Array.from({ length: 20_000 }, (_, j) => [
          total + j,
          `n${total + j}-${"y".repeat(30)}`,
          j / 4,
        ]);
        await w.write({ fields, rows, bytes: 0 }, sig());
        total += rows.length;
      }
      const fin = await w.finish(sig());
      assert.equal(fin.recordsWritten, total);
      const listed = await keys(b, "dst-bucket", "pq/");
      assert.ok(listed.length > 1, `expected several objects, got ${listed.length}`);
      assert.ok(listed.every((k) => k.startsWith("pq/orders-flow/exec-1-part-")));
      let count = 0;
      for (const k of listed) {
        const rows = await parseBack(b, "dst-bucket", k, "PARQUET");
        if (count === 0) assert.deepEqual(rows[1], { id: 1n, name: `n1-${"y".repeat(30)}`, score: 0.25 });
        count += rows.length;
      }
      assert.equal(count, total);
    });

    test("abort mid-upload: the in-flight multipart object is absent, completed objects stay", async () => {
      const w = await openWriter(
        b,
        {
          bucketName: "dst-bucket",
          bucketPrefix: "abort",
          s3OutputFormatConfig: {
            fileType: "CSV",
            aggregationConfig: { aggregationType: "SingleFile", targetFileSize: 6 },
          },
        },
        "exec-3",
      );
      const fields = ["id", "payload"];
      const big = (n: number, from: number) =>
        Array.from({ length: n }, (_, i) => [from + i, "z".repeat(100)]);
      // ~7 MB: goes out as multipart and passes the 6 MB target, so the object completes.
      let p = await w.write({ fields, rows: big(70_000, 0), bytes: 0 }, sig());
      assert.equal(p.recordsWritten, 70_000);
      // ~5.5 MB: a part is uploaded but the object stays open.
      p = await w.write({ fields, rows: big(55_000, 70_000), bytes: 0 }, sig());
      assert.equal(p.recordsWritten, 70_000);
      const ctl = new AbortController();
      ctl.abort();
      await assert.rejects(w.write({ fields, rows: big(10, 0), bytes: 0 }, ctl.signal));
      const after = await w.abort();
      assert.equal(after.recordsWritten, 70_000);
      const listed = await keys(b, "dst-bucket", "abort/");
      assert.deepEqual(listed, ["abort/orders-flow/exec-3/exec-3-part-00000.csv"]);
      assert.equal((await parseBack(b, "dst-bucket", listed[0]!, "CSV")).length, 70_000);
      if (kind === "local") {
        const staging = await readdir(path.join(b.dataDir, "s3", ".staging")).catch(() => []);
        assert.deepEqual(staging, []);
      }
    });
  });
}

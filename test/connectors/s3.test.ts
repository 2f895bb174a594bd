import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout } from "node:timers/promises";
import { parquetReadObjects } from "hyparquet";
import type { MultipartUpload, ObjectStore, UploadedPart } from "../../src/connectors/s3/object-store.ts";
import { closeObjectStores, openObjectStore } from "../../src/connectors/s3/open-object-store.ts";
import { createS3Destination } from "../../src/connectors/s3/s3-destination.ts";
import { S3DestinationWriter } from "../../src/connectors/s3/s3-destination-writer.ts";
import type { LayoutInput } from "../../src/connectors/s3/s3-layout.ts";
import { createS3Source } from "../../src/connectors/s3/s3-source.ts";
import type { S3DestinationProperties, S3SourceProperties } from "../../src/connectors/s3/shapes.ts";
import type { ConnectorRunContext, FieldValue, RecordBatch } from "../../src/connectors/types.ts";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import type { FlowDefinition } from "../../src/domain/flow.ts";
import { readCsv } from "../../src/formats/csv-reader.ts";
import { readJsonLines } from "../../src/formats/jsonl-reader.ts";
import { connectorContext } from "../helpers/connector-context.ts";
import { type Backend, readAll, startBackend } from "./s3-backends.ts";

const startedAt = new Date(Date.UTC(2024, 2, 5, 7, 9, 30));
const MB = 1024 * 1024;
const layoutOf = (executionId: string): LayoutInput => ({
  flowName: "orders-flow",
  executionId,
  schemaVersion: 3,
  startedAt,
});

type Gate = { reached: Promise<void>; release(): void };

/** A backend store whose next call of one kind can be held at its start, to place a cancel exactly there. */
class GatedStore implements ObjectStore {
  readonly parts: UploadedPart[] = [];
  private gates = new Map<string, { reached(): void; released: Promise<void> }>();
  constructor(private readonly inner: ObjectStore) {}

  hold(op: "uploadPart" | "completeUpload" | "put"): Gate {
    let reached!: () => void;
    let release!: () => void;
    const gate: Gate = {
      reached: new Promise<void>((r) => {
        reached = r;
      }),
      release: () => release(),
    };
    this.gates.set(op, {
      reached: () => reached(),
      released: new Promise<void>((r) => {
        release = r;
      }),
    });
    return gate;
  }

  private async pass(op: string): Promise<void> {
    const g = this.gates.get(op);
    if (!g) return;
    this.gates.delete(op);
    g.reached();
    await g.released;
  }

  listBuckets = (s: AbortSignal) => this.inner.listBuckets(s);
  createBucket = (bk: string, s: AbortSignal) => this.inner.createBucket(bk, s);
  list = (bk: string, p: string, s: AbortSignal) => this.inner.list(bk, p, s);
  get = (bk: string, k: string, s: AbortSignal) => this.inner.get(bk, k, s);
  head = (bk: string, k: string, s: AbortSignal) => this.inner.head(bk, k, s);
  delete = (bk: string, k: string, s: AbortSignal) => this.inner.delete(bk, k, s);
  beginUpload = (bk: string, k: string, s: AbortSignal) => this.inner.beginUpload(bk, k, s);
  abortUpload = (u: MultipartUpload) => this.inner.abortUpload(u);
  async put(bk: string, k: string, body: Buffer, s: AbortSignal): Promise<void> {
    await this.pass("put");
    await this.inner.put(bk, k, body, s);
  }
  async uploadPart(u: MultipartUpload, n: number, body: Buffer, s: AbortSignal): Promise<UploadedPart> {
    await this.pass("uploadPart");
    const part = await this.inner.uploadPart(u, n, body, s);
    this.parts.push(part);
    return part;
  }
  async completeUpload(u: MultipartUpload, parts: UploadedPart[], s: AbortSignal): Promise<void> {
    await this.pass("completeUpload");
    await this.inner.completeUpload(u, parts, s);
  }
}
const sig = () => AbortSignal.timeout(60_000);

function context(b: Backend, executionId: string, batchRows = 1000, signal = sig()): ConnectorRunContext {
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
  return connectorContext({ flow, executionId, startedAt, env: { ...b.env, batchRows } }, { signal });
}

async function readSource(b: Backend, props: S3SourceProperties, batchRows = 2) {
  const src = createS3Source(
    { connectorType: "S3", sourceConnectorProperties: { S3: props } },
    context(b, "x", batchRows),
  );
  const batches: RecordBatch[] = [];
  for await (const batch of src.read()) batches.push(batch);
  return batches;
}

function openWriter(b: Backend, props: S3DestinationProperties, executionId = "exec-1") {
  return createS3Destination(
    { connectorType: "S3", destinationConnectorProperties: { S3: props } },
    context(b, executionId),
  ).open();
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
        context(b, "x", 1000, ctl.signal),
      );
      let seen = 0;
      const t0 = Date.now();
      await assert.rejects(
        (async () => {
          for await (const batch of src.read()) {
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
      await w.write({ fields, rows: rowsOf(3), bytes: 0 });
      const p = await w.write({ fields, rows: [[4, 'say "hi", ok', null]], bytes: 0 });
      assert.equal(p.recordsWritten, 4);
      const fin = await w.finish();
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
        await w.write({ fields, rows: rowsOf(4, i * 4), bytes: 0, partitionKeys: ["region"] });
      const fin = await w.finish();
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
        await w.write({ fields, rows, bytes: 0 });
        total += rows.length;
      }
      const fin = await w.finish();
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

    test("destination Parquet: abort leaves no object and none of the writer's temp files", async () => {
      const w = await openWriter(b, {
        bucketName: "dst-bucket",
        bucketPrefix: "pq-abort",
        s3OutputFormatConfig: { fileType: "PARQUET", aggregationConfig: { aggregationType: "SingleFile" } },
      });
      const tempDir = path.join(b.dataDir, "tmp", "parquet");
      const staged = async () => (await readdir(tempDir).catch(() => [])).filter((n) => n.endsWith(".csv"));
      await w.write({ fields: ["id", "name", "region"], rows: rowsOf(5_000), bytes: 0 });
      assert.equal((await staged()).length, 1, "the object's rows wait in a temp file");
      const after = await w.abort();
      assert.equal(after.recordsWritten, 0);
      assert.deepEqual(await keys(b, "dst-bucket", "pq-abort/"), []);
      assert.deepEqual(await staged(), []);
    });

    test("abort mid-upload: parts already uploaded, the in-flight upload is aborted and leaves nothing", async () => {
      const gated = new GatedStore(b.store);
      const cancel = new AbortController();
      const w = new S3DestinationWriter(
        gated,
        { signal: cancel.signal, hardSignal: sig() },
        {
          bucket: "dst-bucket",
          fileType: "CSV",
          perBatch: false,
          targetBytes: 6 * MB,
          maxOpenObjects: 32,
          preserveSourceDataTyping: false,
          partitioned: false,
          textSource: true,
          layout: { ...layoutOf("exec-3"), bucketPrefix: "abort" },
        },
      );
      const fields = ["id", "payload"];
      const big = (n: number, from: number) =>
        Array.from({ length: n }, (_, i) => [from + i, "z".repeat(100)]);
      // ~7 MB: goes out as multipart and passes the 6 MB target, so the object completes.
      let p = await w.write({ fields, rows: big(70_000, 0), bytes: 0 });
      assert.equal(p.recordsWritten, 70_000);
      // ~5.5 MB: a part is uploaded but the object stays open.
      p = await w.write({ fields, rows: big(55_000, 70_000), bytes: 0 });
      assert.equal(p.recordsWritten, 70_000);
      assert.equal(gated.parts.length, 2, "one part of the completed object, one of the open one");
      assert.equal((await b.openUploads("dst-bucket")).length, 1);
      // The next part upload is in flight when the cancel comes.
      const inFlight = gated.hold("uploadPart");
      const writing = w.write({ fields, rows: big(55_000, 125_000), bytes: 0 });
      await inFlight.reached;
      cancel.abort();
      inFlight.release();
      await assert.rejects(writing, (e: unknown) => (e as Error).name === "AbortError");
      const after = await w.abort();
      assert.equal(after.recordsWritten, 70_000);
      const listed = await keys(b, "dst-bucket", "abort/");
      assert.deepEqual(listed, ["abort/orders-flow/exec-3/exec-3-part-00000.csv"]);
      assert.equal((await parseBack(b, "dst-bucket", listed[0]!, "CSV")).length, 70_000);
      assert.deepEqual(await b.openUploads("dst-bucket"), [], "no multipart upload is left");
    });

    test("a cancel during a commit lets the commit finish and counts the object", async () => {
      for (const commit of ["put", "completeUpload"] as const) {
        const gated = new GatedStore(b.store);
        const hard = new AbortController();
        const cancel = new AbortController();
        // The signals as the engine hands them out (run-executor.ts): commits get only the hard one.
        const w = new S3DestinationWriter(
          gated,
          { signal: cancel.signal, hardSignal: hard.signal },
          {
            bucket: "dst-bucket",
            fileType: "JSON",
            perBatch: true,
            maxOpenObjects: 32,
            preserveSourceDataTyping: false,
            partitioned: false,
            textSource: true,
            layout: { ...layoutOf(`commit-${commit}`), bucketPrefix: "commit" },
          },
        );
        const rows =
          commit === "put" ? rowsOf(3) : Array.from({ length: 60_000 }, (_, i) => [i, "y".repeat(100), "EU"]);
        const committing = gated.hold(commit);
        const writing = w.write({ fields: ["id", "name", "region"], rows, bytes: 0 });
        await committing.reached;
        cancel.abort(); // S3 is about to accept the object: the cancel must not cut the call
        committing.release();
        const p = await writing;
        assert.equal(p.recordsWritten, rows.length, commit);
        const listed = await b.store.list("dst-bucket", `commit/orders-flow/commit-${commit}/`, sig());
        assert.equal(listed.length, 1, commit);
        assert.equal(p.bytesWritten, listed[0]!.size);
        // After the cancel no new commit starts.
        await assert.rejects(w.write({ fields: ["id", "name", "region"], rows: rowsOf(1), bytes: 0 }));
        assert.equal((await w.abort()).recordsWritten, rows.length);
      }
    });

    test("partitioned output keeps at most maxOpenObjects open: the least recently written is completed", async () => {
      const w = new S3DestinationWriter(
        b.store,
        { signal: sig(), hardSignal: sig() },
        {
          bucket: "dst-bucket",
          fileType: "CSV",
          perBatch: false,
          maxOpenObjects: 3,
          preserveSourceDataTyping: false,
          partitioned: true,
          textSource: true,
          layout: { ...layoutOf("exec-lru"), bucketPrefix: "lru", prefixConfig: { pathPrefixHierarchy: [] } },
        },
      );
      const fields = ["id", "p"];
      const batch = (ps: number[], from: number) => ({
        fields,
        rows: ps.map((v, i) => [from + i, `v${v}`]),
        bytes: 0,
        partitionKeys: ["p"],
      });
      // p0 p1 p2 open; p0 is written again (most recent), so p3 closes p1, then p4 closes p2.
      let prog = await w.write(batch([0, 1, 2], 0));
      assert.equal(prog.recordsWritten, 0);
      prog = await w.write(batch([0, 3, 4], 3));
      assert.equal(prog.recordsWritten, 2, "p1 and p2 were completed");
      assert.deepEqual(await keys(b, "dst-bucket", "lru/"), [
        "lru/orders-flow/p=v1/exec-lru-part-00001.csv",
        "lru/orders-flow/p=v2/exec-lru-part-00002.csv",
      ]);
      prog = await w.write(batch([1], 6)); // p1 again: a new object; closes p0
      const fin = await w.finish();
      assert.equal(fin.recordsWritten, 7);
      const all = await keys(b, "dst-bucket", "lru/");
      assert.deepEqual(all, [
        "lru/orders-flow/p=v0/exec-lru-part-00000.csv",
        "lru/orders-flow/p=v1/exec-lru-part-00001.csv",
        "lru/orders-flow/p=v1/exec-lru-part-00005.csv",
        "lru/orders-flow/p=v2/exec-lru-part-00002.csv",
        "lru/orders-flow/p=v3/exec-lru-part-00003.csv",
        "lru/orders-flow/p=v4/exec-lru-part-00004.csv",
      ]);
      let n = 0;
      for (const k of all) n += (await parseBack(b, "dst-bucket", k, "CSV")).length;
      assert.equal(n, 7);
    });

    test("source: a record longer than the maximum record size fails the read, naming the object", async () => {
      await b.store.put("src-bucket", "long/one.csv", Buffer.from(`id,v\n1,${"w".repeat(MB + 10)}\n`), sig());
      const src = createS3Source(
        {
          connectorType: "S3",
          sourceConnectorProperties: { S3: { bucketName: "src-bucket", bucketPrefix: "long" } },
        },
        { ...context(b, "x"), env: { ...b.env, s3: { ...b.env.s3, maxRecordMb: 1 } } },
      );
      await assert.rejects(
        (async () => {
          for await (const _ of src.read());
        })(),
        (e: unknown) => {
          assert.ok(e instanceof ConnectorServerError);
          assert.match(
            e.message,
            /^CSV s3:\/\/src-bucket\/long\/one\.csv, row 2: the record is longer than the maximum record size \(1 MB\)/,
          );
          return true;
        },
      );
    });

    test("one S3 client per endpoint and credentials, reused; closeObjectStores() closes its sockets", async (t) => {
      if (!b.s3rver) return t.skip("the local backend has no client");
      const a = openObjectStore(b.env);
      assert.equal(
        openObjectStore({ ...b.env, batchRows: 7 }),
        a,
        "same endpoint and credentials: same client",
      );
      const other = openObjectStore({ ...b.env, s3: { ...b.env.s3, accessKeyId: "OTHER" } });
      assert.notEqual(other, a);
      await a.listBuckets(sig());
      assert.ok((await b.s3rver.connections()) >= 1, "a keep-alive socket is open");
      closeObjectStores();
      const deadline = Date.now() + 5000;
      while ((await b.s3rver.connections()) > 0 && Date.now() < deadline) await setTimeout(20);
      assert.equal(await b.s3rver.connections(), 0, "every socket closed");
      const fresh = openObjectStore(b.env);
      assert.notEqual(fresh, a);
      assert.ok((await fresh.listBuckets(sig())).includes("dst-bucket"));
    });
  });
}

/**
 * DuckDB's Parquet writer as Sluice drives it: the file handed to the sink in chunks with the caller's
 * drain awaited between them, a cancel that interrupts it, temp files and tables cleaned up, and the
 * fallback to hyparquet-writer where DuckDB would change the field names. Read back with hyparquet.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { FieldValue } from "../../src/connectors/types.ts";
import { duckdbProcess } from "../../src/formats/duckdb-process.ts";
import { ParquetEncoder } from "../../src/formats/parquet-writer.ts";
import { waitFor } from "../helpers/server.ts";

function collector() {
  const parts: Buffer[] = [];
  return {
    parts,
    write: (c: Buffer) => parts.push(Buffer.from(c)),
    file: () => {
      const b = Buffer.concat(parts);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    },
  };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-pq-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What is left in the temp dir besides DuckDB's (empty when nothing spilled) spill folder. */
const leftovers = (dir: string) => readdirSync(dir).filter((n) => !n.endsWith("-spill"));

test("DuckDB writer: a large file reaches the sink in chunks, drain awaited after each; every row back in order", async (t) => {
  const dir = tempDir(t);
  const out = collector();
  const enc = new ParquetEncoder(out, true, dir);
  // Random hex doesn't compress: the file is well over one 8 MiB chunk.
  const values = Array.from({ length: 300_000 }, () => randomBytes(24).toString("hex"));
  for (let at = 0; at < values.length; at += 7_777) {
    const rows: FieldValue[][] = values.slice(at, at + 7_777).map((v, j) => [at + j, v, j % 3 === 0]);
    await enc.write(["i", "hex", "flag"], rows);
  }
  assert.equal(enc.writer, "duckdb");
  assert.equal(out.parts.length, 0, "nothing reaches the sink before close");
  assert.ok(enc.pendingBytes() >= 300_000 * 48, `${enc.pendingBytes()} bytes pending`);
  const atDrain: number[] = [];
  await enc.close({
    drain: async () => {
      atDrain.push(out.parts.length);
    },
  });
  assert.ok(out.parts.length >= 2, `${out.parts.length} chunks`);
  assert.deepEqual(
    atDrain,
    out.parts.map((_, k) => k + 1),
    "one drain after each chunk",
  );
  const meta = await parquetMetadataAsync(out.file());
  assert.equal(Number(meta.num_rows), 300_000);
  const back = await parquetReadObjects({ file: out.file() });
  const wrong = back.findIndex(
    (r, k) => r.i !== BigInt(k) || r.hex !== values[k] || r.flag !== ((k % 7_777) % 3 === 0),
  );
  assert.equal(
    wrong,
    -1,
    `row ${wrong}: ${JSON.stringify(back[wrong], (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`,
  );
  assert.deepEqual(leftovers(dir), [], "the temp file is removed");
});

test("DuckDB writer: a cancel during close rejects with the signal's reason and leaves no temp file", async (t) => {
  const dir = tempDir(t);
  const out = collector();
  const enc = new ParquetEncoder(out, false, dir);
  const rows: FieldValue[][] = Array.from({ length: 50_000 }, (_, i) => [`k${i}`, `v${i % 100}`]);
  for (let k = 0; k < 10; k++) await enc.write(["k", "v"], rows);
  const ac = new AbortController();
  const closing = enc.close({ signal: ac.signal });
  ac.abort();
  await assert.rejects(closing, (e: unknown) => (e as Error).name === "AbortError");
  assert.deepEqual(out.parts, [], "nothing reached the sink");
  assert.deepEqual(leftovers(dir), [], "neither the CSV nor the Parquet file is left");
});

test("DuckDB process: a statement cancelled while the process still starts rejects at once, and the process still starts", async (t) => {
  const p = duckdbProcess(tempDir(t));
  let started = false;
  void p.ready.then(() => {
    started = true;
  });
  const ac = new AbortController();
  const running = p.run("SELECT 1", ac.signal);
  ac.abort(new Error("cancelled"));
  await assert.rejects(running, /cancelled/);
  // A start takes hundreds of ms (node, tsx, DuckDB); the rejection came within microtasks of the abort.
  assert.equal(started, false, "rejected before the process was ready");
  await p.ready;
  await p.run("SELECT 1");
});

test("DuckDB writer: discard removes what an unfinished object holds", async (t) => {
  const dir = tempDir(t);
  const enc = new ParquetEncoder(collector(), false, dir);
  await enc.write(["a"], [["x"], ["y"]]);
  assert.equal(leftovers(dir).length, 1, "the rows wait in a temp file");
  await enc.discard();
  await enc.discard(); // idempotent
  assert.deepEqual(leftovers(dir), []);
});

test("Parquet: names DuckDB would change (differing only in case, empty) go through hyparquet-writer intact", async (t) => {
  const dir = tempDir(t);
  for (const fields of [
    ["Name", "name"],
    ["", "b"],
  ]) {
    const out = collector();
    const enc = new ParquetEncoder(out, false, dir);
    await enc.write(fields, [
      ["x", "y"],
      [null, "z"],
    ]);
    assert.equal(enc.writer, "hyparquet-writer");
    await enc.close();
    const meta = await parquetMetadataAsync(out.file());
    assert.deepEqual(
      meta.schema.slice(1).map((s) => s.name),
      fields,
    );
    const back = await parquetReadObjects({ file: out.file() });
    assert.deepEqual(
      back.map((r) => fields.map((f) => r[f])),
      [
        ["x", "y"],
        [null, "z"],
      ],
    );
  }
});

test("DuckDB writer: temp files of a process that is gone are removed when the next one starts", async (t) => {
  const dir = tempDir(t);
  // Above Linux's largest pid (2^22), so no process has it.
  const stale = join(dir, "4194305-1-0b8d.parquet");
  const staleSpill = join(dir, "4194305-1-spill");
  writeFileSync(stale, "partial");
  mkdirSync(staleSpill);
  // A live process's file (this test's own pid) is kept.
  writeFileSync(join(dir, `${process.pid}-keep.parquet`), "in use");
  const p = duckdbProcess(dir);
  assert.deepEqual(
    readdirSync(dir).filter((n) => !n.startsWith(p.filePrefix)),
    [`${process.pid}-keep.parquet`],
  );
});

test("DuckDB writer: a thread terminated while DuckDB writes its file leaves this process running, and no DuckDB process or file behind", async (t) => {
  const dir = tempDir(t);
  const tsx = import.meta.resolve("tsx/esm/api");
  const body = new URL("../helpers/parquet-thread.ts", import.meta.url).href;
  const thread = new Worker(
    new URL(
      `data:text/javascript,${encodeURIComponent(
        `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(body)});`,
      )}`,
    ),
    { execArgv: [], workerData: { tempDir: dir } },
  );
  let prefix = "";
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    thread.on("message", (m: unknown) => {
      if (typeof m === "object" && m !== null && "prefix" in m) prefix = String(m.prefix);
      if (m === "closing") resolve();
      if (m === "closed") closed = true;
    });
    thread.on("error", reject);
  });
  // The COPY is under way in the DuckDB process (its CSV is there, the Parquet file is being written).
  await waitFor(async () => readdirSync(dir).some((n) => n.endsWith(".csv")), "the CSV file");
  await thread.terminate();
  assert.equal(closed, false, "terminated before its close ended");
  const pid = Number(prefix.slice(0, -1));
  // Exited: gone, or a zombie (its parent was the terminated thread, so nothing here reaps it).
  await waitFor(async () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
    } catch {
      return true;
    }
  }, "the DuckDB process to exit");
  assert.deepEqual(
    readdirSync(dir).filter((n) => !n.endsWith("-spill")),
    [],
    "its CSV and Parquet files are removed",
  );
});

test("DuckDB writer: a record over DuckDB's default line size (2 MB) is written; one of 8 MB or more fails saying so", async (t) => {
  const dir = tempDir(t);
  const out = collector();
  const enc = new ParquetEncoder(out, false, dir);
  const big = "é".repeat(1_500_000); // 3 MB of UTF-8
  await enc.write(
    ["k", "v"],
    [
      ["a", big],
      ["b", "small"],
    ],
  );
  await enc.close();
  const back = await parquetReadObjects({ file: out.file() });
  assert.equal(back.length, 2);
  assert.ok(back[0]!.v === big, "the long value, exact");
  assert.deepEqual(back[1], { k: "b", v: "small" });

  const tooLong = new ParquetEncoder(collector(), false, dir);
  await assert.rejects(
    tooLong.write(["v"], [["x"], ["y".repeat(9 * 1024 * 1024)]]),
    /record of 9\.0 MB \(row 2 of its batch\) is longer than the Parquet writer takes \(8 MB/,
  );
  await tooLong.discard();
  assert.deepEqual(leftovers(dir), []);
});

test("DuckDB writer: a DuckDB process that dies fails the object with a message saying so; the next object starts another", async (t) => {
  const dir = tempDir(t);
  const enc = new ParquetEncoder(collector(), false, dir);
  await enc.write(["a"], [["x"]]);
  const p = duckdbProcess(dir);
  await p.ready;
  process.kill(Number(p.filePrefix.slice(0, -1)), "SIGKILL");
  await waitFor(async () => !p.alive, "the process's exit to be seen");
  await assert.rejects(enc.close(), /The DuckDB process writing Parquet exited \(SIGKILL\)/);
  const out = collector();
  const next = new ParquetEncoder(out, false, dir);
  await next.write(["a"], [["y"]]);
  await next.close();
  assert.deepEqual(await parquetReadObjects({ file: out.file() }), [{ a: "y" }]);
  assert.notEqual(duckdbProcess(dir).filePrefix, p.filePrefix);
});

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, test } from "node:test";
import { Worker } from "node:worker_threads";
import { ConnectorServerError, SluiceError } from "../../src/domain/errors.ts";
import { ChunkPool } from "../../src/engine/chunk-pool.ts";
import type { TestJob, TestResult } from "./chunk-pool-jobs.ts";

const jobsModule = new URL("./chunk-pool-jobs.ts", import.meta.url);
const pools: ChunkPool<TestJob, TestResult>[] = [];
const makePool = (threads: number, heapMb?: number) => {
  const pool = new ChunkPool<TestJob, TestResult>({
    module: jobsModule,
    threads,
    ...(heapMb ? { heapMb } : {}),
  });
  pools.push(pool);
  return pool;
};
after(() => Promise.all(pools.map((p) => p.close())));

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of it) out.push(r);
  return out;
}

test("results come in job order whatever each job takes", async () => {
  const pool = makePool(3);
  const jobs = Array.from({ length: 40 }, (_, n): TestJob => {
    return { op: "echo", n, data: Buffer.from(`payload ${n}`), ms: Math.floor(Math.random() * 15) };
  });
  const results = await collect(pool.map(jobs));
  assert.deepEqual(
    results.map((r) => r.n),
    jobs.map((j) => j.n),
  );
  for (const r of results) {
    assert.ok(Buffer.isBuffer(r.data) && Buffer.isBuffer(r.small));
    assert.equal(r.data.toString(), `${r.n}:payload ${r.n}`);
    assert.equal(r.small.toString(), `small ${r.n}`);
    assert.equal(r.received, "Buffer");
  }
  assert.equal(new Set(results.map((r) => r.tid)).size, 3, "all three threads worked");
  // The pool is reusable: a second map runs on the same threads.
  const again = await collect(pool.map([{ op: "echo", n: 7 }]));
  assert.ok(results.some((r) => r.tid === again[0]?.tid));
});

test("at most threads + 1 jobs are in flight", async () => {
  const threads = 2;
  const pool = makePool(threads);
  let pulled = 0;
  let yielded = 0;
  let most = 0;
  async function* source(): AsyncGenerator<TestJob> {
    for (let n = 0; n < 20; n++) {
      most = Math.max(most, n + 1 - yielded); // jobs taken and not yet done with, this one included
      pulled++;
      yield { op: "echo", n, ms: 5 };
    }
  }
  for await (const r of pool.map(source())) {
    assert.equal(r.n, yielded);
    // A consumer slow on the first result: the pool fills up to its bound meanwhile.
    if (r.n === 0) await until("the pool to fill", () => pulled === threads + 1);
    yielded++;
  }
  assert.equal(most, threads + 1);
});

test("a job's Buffers are moved to the thread, views are copied first", async () => {
  const pool = makePool(1);
  const own = Buffer.alloc(1024 * 1024, 120);
  const big = Buffer.alloc(4096, 121);
  const view = big.subarray(100, 200); // moving its memory would empty `big`
  const back = Buffer.alloc(8192, 122);
  const results = await collect(
    pool.map([
      { op: "echo", n: 0, data: own },
      { op: "echo", n: 1, data: view },
      { op: "pass", n: 2, data: back },
    ]),
  );
  assert.equal(own.byteLength, 0, "the sender's Buffer was detached");
  assert.equal(back.byteLength, 0);
  assert.equal(results[2]?.data.toString(), "z".repeat(8192));
  assert.equal(big.byteLength, 4096);
  assert.equal(view.toString(), "y".repeat(100));
  assert.equal(results[0]?.data.length, 2 + 1024 * 1024);
  assert.equal(results[1]?.data.toString(), `1:${"y".repeat(100)}`);
});

test("a job's error fails the map in its turn, as the same class", async () => {
  const pool = makePool(2);
  const seen: number[] = [];
  const jobs: TestJob[] = [
    { op: "echo", n: 0 },
    { op: "echo", n: 1, ms: 100 },
    { op: "fail", n: 2 },
    { op: "type-error", n: 3 },
  ];
  await assert.rejects(
    (async () => {
      for await (const r of pool.map(jobs)) seen.push(r.n);
    })(),
    (e: Error) => {
      assert.ok(e instanceof ConnectorServerError && e instanceof SluiceError);
      assert.equal(e.message, "chunk 2 is bad");
      assert.equal(e.name, "ConnectorServerException");
      assert.equal(e.code, "ConnectorServerException");
      assert.match(e.stack ?? "", /chunk-pool-jobs\.ts/);
      return true;
    },
  );
  assert.deepEqual(seen, [0, 1], "the results before the bad job were yielded");
  await assert.rejects(collect(pool.map([{ op: "type-error", n: 5 }])), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.equal(e.message, "chunk 5 has the wrong type");
    return true;
  });
  // A thread that died (out of memory, exit) fails its job; the pool starts another.
  await assert.rejects(collect(makePool(1, 16).map([{ op: "oom", n: 6 }])), /more memory than a pool thread/);
  await assert.rejects(collect(pool.map([{ op: "exit", n: 7 }])), /a chunk pool thread exited \(code 3\)/);
  assert.equal((await collect(pool.map([{ op: "echo", n: 8 }])))[0]?.n, 8);
  // And a source that fails fails the map.
  async function* bad(): AsyncGenerator<TestJob> {
    yield { op: "echo", n: 9 };
    throw new RangeError("the source broke");
  }
  await assert.rejects(collect(pool.map(bad())), RangeError);
});

test("an abort ends the map at once, even with a job still running", async () => {
  const pool = makePool(1);
  const ac = new AbortController();
  let pulled = 0;
  let closedSource = false;
  async function* source(): AsyncGenerator<TestJob> {
    try {
      pulled++;
      yield { op: "hold", n: 0 };
      pulled++;
      yield { op: "echo", n: 1 }; // the pool (1 thread + 1) takes no more: the source waits here
    } finally {
      closedSource = true;
    }
  }
  const done = collect(pool.map(source(), ac.signal));
  await until("the jobs to be taken", () => pulled === 2);
  ac.abort(new Error("stopped by the test"));
  await assert.rejects(done, /stopped by the test/);
  await until("the source to be closed", () => closedSource);
  // The thread still holds its job; close terminates it.
  await pool.close();
  await assert.rejects(collect(pool.map([{ op: "echo", n: 2 }])), /the pool is closed/);
  const aborted = new AbortController();
  aborted.abort(new Error("already stopped"));
  await assert.rejects(collect(makePool(1).map([{ op: "echo", n: 3 }], aborted.signal)), /already stopped/);
});

test("close fails a map in progress, its threads held by jobs", async () => {
  const pool = makePool(2);
  let taken = 0;
  const jobs = (function* () {
    for (let n = 0; n < 2; n++) {
      taken++;
      yield { op: "hold", n } as TestJob;
    }
  })();
  const done = collect(pool.map(jobs));
  await until("the jobs to be taken", () => taken === 2);
  const failed = assert.rejects(done, /the pool was closed/);
  await pool.close();
  await failed;
});

// A run thread's bootstrap in miniature: tsx, a nice value of its own, then a pool inside it.
const host = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { readlinkSync } from "node:fs"; import { getPriority, setPriority } from "node:os"; import { parentPort } from "node:worker_threads";
const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
setPriority(tid, Math.min(19, getPriority(tid) + 3));
const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); register();
const { ChunkPool } = await import(${JSON.stringify(new URL("../../src/engine/chunk-pool.ts", import.meta.url).href)});
const pool = new ChunkPool({ module: new URL(${JSON.stringify(jobsModule.href)}), threads: 2 });
const threads = [];
for await (const r of pool.map([{ op: "info", n: 0 }, { op: "info", n: 1 }])) threads.push({ tid: r.tid, nice: r.nice });
parentPort.postMessage({ nice: getPriority(tid), threads });`,
  )}`,
);

test("pool threads made in a thread take its nice value and end when it is terminated", async () => {
  const parent = new Worker(host, { execArgv: [] });
  const report = await new Promise<{ nice: number; threads: { tid: number; nice: number }[] }>(
    (resolve, reject) => {
      parent.once("message", resolve);
      parent.once("error", reject);
    },
  );
  assert.equal(report.threads.length, 2);
  assert.notEqual(report.threads[0]?.tid, report.threads[1]?.tid);
  for (const t of report.threads) {
    assert.equal(t.nice, report.nice, "a pool thread runs at its maker's nice value");
    assert.ok(existsSync(`/proc/self/task/${t.tid}`));
  }
  assert.ok(report.nice > 0);
  await parent.terminate();
  await until("the pool threads to end", () =>
    report.threads.every((t) => !existsSync(`/proc/self/task/${t.tid}`)),
  );
});

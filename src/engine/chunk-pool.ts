/**
 * An ordered pool of worker threads running one pure, synchronous function on chunks of work (the fast
 * path's transcoding of CSV chunks, issue 10). `map` yields the results in job order; at most
 * `threads + 1` jobs are between being taken from the source and the consumer asking for the result
 * after theirs (a job per thread, and the result the consumer is handling), so memory stays bounded by
 * chunk size × parallelism.
 * Buffers move to the threads and back without copies (chunk-transfer.ts): a job's Buffers belong to
 * the pool once map takes it.
 *
 * The pool is made inside a run's worker thread, so its threads are nested workers: they end with that
 * thread (a forced stop terminates it). Each loads only the job module (bundled), under a small heap, and
 * runs at the nice value of the thread that made the pool (the run thread lowers its own priority).
 */
import { Worker } from "node:worker_threads";
import * as errors from "../domain/errors.ts";
import { bundled } from "./bundle.ts";
import { forTransfer, fromTransfer } from "./chunk-transfer.ts";
import type { ChunkWorkerData, FromChunkWorker, ToChunkWorker, WireJobError } from "./chunk-worker.ts";

export interface ChunkPoolOptions {
  /** The job module; its `exportName` export (default "default") is the function `(job) => result`. */
  module: URL;
  exportName?: string;
  threads: number;
  /** Old-space limit of each thread, MB (default 32): a job's working set is about one chunk. */
  heapMb?: number;
}

const DEFAULT_HEAP_MB = 32;
// V8 would size the young generation for the machine (48 MB here); a chunk job's garbage is a few MB,
// and every MB of young generation is resident in each thread (figure 3 of docs/benchmarks.md).
const YOUNG_GENERATION_MB = 4;

const workerEntry = new URL("./chunk-worker.ts", import.meta.url);
// A thread starts with no loader: the worker entry and the job module are bundled into plain
// JavaScript (bundle.ts), so a pool thread loads no tsx. No nice value is set: a Linux thread starts
// with the nice value of the thread that creates it (the run thread, which lowered its own;
// test/engine/chunk-pool.test.ts checks it).

interface Slot {
  worker: Worker;
  /** The job it runs, and the map that sent it (a map that ended drops its late results). */
  job?: { id: number; map: MapRun };
}

interface MapRun {
  ended: boolean;
  waiting: { id: number; job: unknown }[];
  /** A job's result (ok) or error. */
  onResult(id: number, ok: boolean, value: unknown): void;
  /** Fails the whole map now. */
  fail(error: unknown): void;
}

export class ChunkPool<J, R> {
  private readonly slots: Slot[] = [];
  private current: MapRun | undefined;
  private closed = false;

  constructor(private readonly opts: ChunkPoolOptions) {
    if (!(opts.threads >= 1)) throw new RangeError("ChunkPool: threads must be at least 1");
  }

  /** Runs the function on every job; yields the results in job order. One map at a time. */
  async *map(jobs: AsyncIterable<J> | Iterable<J>, signal?: AbortSignal): AsyncGenerator<R> {
    if (this.closed) throw new Error("ChunkPool: the pool is closed");
    if (this.current) throw new Error("ChunkPool: one map at a time");
    signal?.throwIfAborted();
    const source =
      Symbol.asyncIterator in jobs ? jobs[Symbol.asyncIterator]() : (jobs as Iterable<J>)[Symbol.iterator]();
    const limit = this.opts.threads + 1;
    // Outcomes by job id: a job's error is thrown in its turn, so the first bad chunk is the one reported.
    const results = new Map<number, { ok: true; value: R } | { ok: false; error: unknown }>();
    let nextId = 0; // ids of jobs taken from the source, in order
    let nextOut = 0;
    let inFlight = 0;
    let pulling = false;
    let sourceDone = false;
    let jobFailed = false;
    // Fails the map at once (abort, the source failed, the pool closed).
    let failure: { error: unknown } | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const fail = (error: unknown) => {
      failure ??= { error };
      notify();
    };
    const run: MapRun = {
      ended: false,
      waiting: [],
      onResult: (id, ok, value) => {
        if (ok) results.set(id, { ok, value: value as R });
        else {
          results.set(id, { ok, error: value });
          jobFailed = true;
        }
        notify();
      },
      fail,
    };
    const pull = () => {
      if (pulling || sourceDone || failure || jobFailed || inFlight >= limit) return;
      pulling = true;
      // new Promise: an iterator's next() that throws at once rejects like one that rejects.
      new Promise<IteratorResult<J>>((resolve) => resolve(source.next())).then(
        (r) => {
          pulling = false;
          if (run.ended) return;
          if (r.done) sourceDone = true;
          else {
            inFlight++;
            run.waiting.push({ id: nextId++, job: r.value });
            this.dispatch(run);
          }
          notify();
          pull();
        },
        (err: unknown) => {
          pulling = false;
          sourceDone = true; // a source that threw is finished
          fail(err);
        },
      );
    };
    const onAbort = () => fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.current = run;
    try {
      pull();
      for (;;) {
        if (failure) throw failure.error;
        const r = results.get(nextOut);
        if (r) {
          if (!r.ok) throw r.error;
          results.delete(nextOut++);
          yield r.value;
          // The consumer is done with it only when it asks for the next one.
          inFlight--;
          pull();
          continue;
        }
        if (sourceDone && inFlight === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      run.ended = true;
      run.waiting.length = 0;
      if (this.current === run) this.current = undefined;
      signal?.removeEventListener("abort", onAbort);
      // An unfinished source is closed (its S3 read aborted); its own errors no longer matter.
      if (!sourceDone) Promise.resolve(source.return?.()).catch(() => {});
    }
  }

  /** Terminates the threads; a map in progress fails. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    this.current?.fail(new Error("ChunkPool: the pool was closed"));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** Gives waiting jobs to idle threads, starting threads up to the limit. */
  private dispatch(run: MapRun): void {
    while (run.waiting.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot) {
        if (this.slots.length >= this.opts.threads) return;
        slot = this.spawn();
      }
      const next = run.waiting.shift()!;
      const list: ArrayBuffer[] = [];
      const message: ToChunkWorker = { id: next.id, job: forTransfer(next.job, list) };
      slot.job = { id: next.id, map: run };
      slot.worker.ref();
      slot.worker.postMessage(message, list);
    }
  }

  private spawn(): Slot {
    const workerData: ChunkWorkerData = {
      module: bundled(this.opts.module).href,
      exportName: this.opts.exportName ?? "default",
    };
    const worker = new Worker(bundled(workerEntry), {
      execArgv: [],
      workerData,
      resourceLimits: {
        maxOldGenerationSizeMb: this.opts.heapMb ?? DEFAULT_HEAP_MB,
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
      },
    });
    worker.unref(); // an idle thread doesn't keep the process alive
    const slot: Slot = { worker };
    const finish = () => {
      const job = slot.job;
      slot.job = undefined;
      worker.unref();
      return job;
    };
    worker.on("message", (m: FromChunkWorker) => {
      const job = finish();
      if (!job || job.map.ended) {
        if (this.current) this.dispatch(this.current);
        return;
      }
      if (m.ok) job.map.onResult(m.id, true, fromTransfer(m.result));
      else job.map.onResult(m.id, false, rebuild(m.error));
      this.dispatch(job.map);
    });
    // A thread that failed (couldn't load, ran out of memory) or exited is gone: its job fails the map.
    const gone = (error: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      const job = finish();
      if (job && !job.map.ended) job.map.onResult(job.id, false, error);
      else if (this.current && !this.closed) this.dispatch(this.current);
    };
    worker.on("error", (err: Error) => {
      const oom = (err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      gone(
        oom
          ? new Error(`a chunk needed more memory than a pool thread may use (${workerData.module})`, {
              cause: err,
            })
          : err,
      );
    });
    worker.on("exit", (code) => gone(new Error(`a chunk pool thread exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }
}

// Every SluiceError subclass, by class name: a job's error comes back as the same class.
const errorClasses = new Map<string, { prototype: Error }>(
  Object.values(errors)
    .filter((v): v is typeof errors.SluiceError => typeof v === "function" && v.prototype instanceof Error)
    .map((c) => [c.name, c]),
);

function rebuild(e: WireJobError): Error {
  // Built-in classes (TypeError, RangeError...) come back as themselves too; anything else as Error.
  const builtin = (globalThis as Record<string, unknown>)[e.cls];
  const proto =
    errorClasses.get(e.cls)?.prototype ??
    (typeof builtin === "function" && builtin.prototype instanceof Error
      ? builtin.prototype
      : Error.prototype);
  // Made without its constructor, whose parameters differ by class; the fields are the thrown error's.
  const err = Object.create(proto) as Error & { code?: unknown };
  Object.defineProperty(err, "message", { value: e.message, writable: true, configurable: true });
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  if (e.stack !== undefined)
    Object.defineProperty(err, "stack", { value: e.stack, writable: true, configurable: true });
  return err;
}

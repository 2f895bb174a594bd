/** The job module of the chunk pool tests (test/engine/chunk-pool.test.ts): one function, several behaviours. */
import { readlinkSync } from "node:fs";
import { getPriority } from "node:os";
import { ConnectorServerError } from "../../src/domain/errors.ts";

export interface TestJob {
  op: "echo" | "pass" | "fail" | "type-error" | "hold" | "info" | "oom" | "exit";
  n: number;
  data?: Buffer;
  /** Milliseconds to take before answering (a blocking wait: jobs are synchronous). */
  ms?: number;
}

export interface TestResult {
  n: number;
  /** `n:` and the job's data. */
  data: Buffer;
  /** "Buffer" when the job's data arrived as a Buffer. */
  received: string;
  small: Buffer;
  tid: number;
  nice: number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

export default function runTestJob(job: TestJob): TestResult {
  if (job.ms) Atomics.wait(pause, 0, 0, job.ms);
  switch (job.op) {
    case "fail":
      throw new ConnectorServerError(`chunk ${job.n} is bad`);
    case "type-error":
      throw new TypeError(`chunk ${job.n} has the wrong type`);
    case "hold":
      Atomics.wait(pause, 0, 0, 120_000);
      break;
    case "oom": {
      const keep: number[][] = [];
      for (;;) keep.push(new Array(1e5).fill(job.n));
    }
    case "exit":
      process.exit(3);
  }
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  const data = job.data ?? Buffer.alloc(0);
  return {
    n: job.n,
    // "pass" hands its input back: the same memory moves back, no copy.
    data: job.op === "pass" ? data : Buffer.concat([Buffer.from(`${job.n}:`), data]),
    received: Buffer.isBuffer(data) ? "Buffer" : typeof data,
    small: Buffer.from(`small ${job.n}`), // a view into Node's shared pool: copied, not moved
    tid,
    nice: getPriority(tid),
  };
}

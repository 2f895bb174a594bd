/**
 * Pipeline modules for worker threads in the engine's tests (threadExecutor's `executor` option).
 * - flow "stuck": checkpoints once (recordsProcessed 7), then blocks its thread forever;
 * - flow "stuck-destination": the real pipeline (executeRun) with the S3 destination replaced, in
 *   this thread only, by one that takes the first batch (committing nothing) and blocks the thread
 *   forever in the second write;
 * - flow "nice": ends Successful with its thread's nice value as recordsProcessed (Linux);
 * - flow "hog": keeps allocating until its thread runs out of heap;
 * - any other flow: checkpoints once and ends Successful.
 * A blocked thread reacts to no message and no AbortSignal: only `worker.terminate()` stops it, as with
 * a destination stuck in native code or in a loop.
 */
import { readlinkSync } from "node:fs";
import { getPriority } from "node:os";
import { getConnector } from "../../src/connectors/registry.ts";
import type { Destination, DestinationWriter } from "../../src/connectors/types.ts";
import { type PipelineExecutor, executeRun as realExecuteRun } from "../../src/engine/run-executor.ts";
import { emptyCounts } from "../../src/store/runs/touch-run.ts";

const blockForever = (): never => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0, 50);
};

const zero = emptyCounts();

const deafDestination: Destination = {
  open: async (): Promise<DestinationWriter> => {
    let writes = 0;
    return {
      commitMode: "streaming",
      write: async () =>
        ++writes > 1 ? blockForever() : { recordsWritten: 0, bytesWritten: 0, putFailures: 0 },
      finish: async () => blockForever(),
      abort: async () => ({ recordsWritten: 0, bytesWritten: 0, putFailures: 0 }),
    };
  },
};

export const executeRun: PipelineExecutor = async (run, handle, deps) => {
  if (run.flow_name === "stuck-destination") {
    const s3 = getConnector("S3")?.destination;
    if (!s3) throw new Error("no S3 destination");
    s3.create = () => deafDestination;
    return realExecuteRun(run, handle, deps);
  }
  if (run.flow_name === "hog") {
    const kept: number[][] = [];
    for (;;) kept.push(Array.from({ length: 100_000 }, (_, i) => i * 1.5));
  }
  if (run.flow_name === "nice") {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return { status: "Successful", counts: { ...zero, recordsProcessed: getPriority(tid) } };
  }
  const counts = {
    recordsProcessed: 7,
    recordsWritten: 0,
    recordsDropped: 0,
    bytesProcessed: 0,
    bytesWritten: 0,
    putFailures: 0,
  };
  await deps.checkpoint(counts);
  if (run.flow_name === "stuck") blockForever();
  return { status: "Successful", counts };
};

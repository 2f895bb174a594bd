/**
 * A pipeline module for worker threads in the engine's tests (threadExecutor's `executor` option): it
 * checkpoints once (recordsProcessed 7) and then, for a flow named "stuck", spins on the CPU forever.
 * A spinning thread can't react to any message or AbortSignal: only `worker.terminate()` stops it, as
 * with a destination stuck in native code or a loop. Any other flow ends Successful.
 */
import type { PipelineExecutor } from "../../src/engine/run-executor.ts";

export const executeRun: PipelineExecutor = async (run, _handle, deps) => {
  const counts = {
    recordsProcessed: 7,
    recordsWritten: 0,
    recordsDropped: 0,
    bytesProcessed: 0,
    bytesWritten: 0,
    putFailures: 0,
  };
  await deps.checkpoint(counts);
  if (run.flow_name === "stuck") for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  return { status: "Successful", counts };
};

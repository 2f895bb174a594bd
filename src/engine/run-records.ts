/**
 * What the worker holding a run records for it (worker-pool.ts): its heartbeats and checkpoints, the
 * end written when its work had to be forced to end, and the log line of its end.
 */
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { endRun } from "../store/runs/end-run.ts";
import type { RunCounts } from "../store/runs/touch-run.ts";
import type { RunsTable } from "../store/schema.ts";
import type { ExecutionOutcome } from "./run-executor.ts";
import type { RunHandle, StopReason } from "./run-handle.ts";

export interface RunWrites {
  /** Writes `counts` (a checkpoint) or only renews the lease (no counts), after any write in flight. */
  write(counts?: RunCounts): Promise<void>;
  /** No more heartbeats. */
  stop(): void;
}

/**
 * A run's store writes, one at a time, so they never queue behind each other: a heartbeat due while
 * another write is in flight is skipped (that write renews the lease as well), and a checkpoint waits
 * for a heartbeat in flight instead of racing it.
 */
export function runWrites(
  touch: (counts?: RunCounts) => Promise<void>,
  heartbeatMs: number,
  onHeartbeatError: (err: unknown) => void,
): RunWrites {
  let writing: Promise<void> | undefined;
  const write = (counts?: RunCounts): Promise<void> => {
    const p = (writing ?? Promise.resolve()).then(() => touch(counts));
    const mine: Promise<void> = p.then(
      () => {},
      () => {},
    );
    writing = mine;
    void mine.then(() => {
      if (writing === mine) writing = undefined;
    });
    return p;
  };
  const beat = setInterval(() => {
    if (writing) return;
    write().catch(onHeartbeatError);
  }, heartbeatMs);
  beat.unref();
  return { write, stop: () => clearInterval(beat) };
}

/**
 * The end recorded for a run whose work did not stop within the grace and force periods: Canceled when
 * a cancel stopped it (else Error), with the counts of its last checkpoint, and a message saying a write
 * in flight may not be counted. `terminated`: its worker thread was terminated first.
 */
export function forcedOutcome(
  reason: StopReason | undefined,
  terminated: boolean,
  counts: RunCounts,
): ExecutionOutcome {
  return {
    status: reason === "cancel" ? "Canceled" : "Error",
    errorMessage: terminated
      ? "The flow run did not stop within the grace period and was terminated; it ended with the counts of its last checkpoint, and a write it had in flight may not be counted."
      : "The flow run did not stop within the grace period and was ended with the counts of its last checkpoint; a write it still had in flight may not be counted.",
    counts,
  };
}

/**
 * Ends a run whose work would not stop: its worker thread, if it has one, is terminated first, so the
 * end recorded after it means the work stopped. The end has the counts of the last checkpoint. Resolves
 * to the ended run, or undefined when the write failed (the lease, no longer renewed, then expires and
 * the reaper ends the run).
 */
export async function recordForcedEnd(
  store: Store,
  owner: string,
  log: Logger,
  handle: RunHandle,
  counts: RunCounts,
  now: () => number,
): Promise<RunsTable | undefined> {
  const executionId = handle.executionId;
  const terminate = handle.terminate;
  if (terminate) {
    await terminate().catch((err) =>
      log.error({ err, executionId }, "terminating a run's worker thread failed"),
    );
    log.warn({ executionId }, "a run that ignored its stop was terminated");
  }
  return endRun(
    store.db,
    executionId,
    owner,
    forcedOutcome(handle.reason, terminate !== undefined, counts),
    now(),
  ).catch((err) => {
    log.error(
      { err, executionId },
      "forcing a run to end failed: the reaper will end it when its lease expires",
    );
    return undefined;
  });
}

/** Logs a run's end (a failed run's line says why, at a level people alert on); returns its cancel latency. */
export function logRunEnd(log: Logger, run: RunsTable): number | undefined {
  const cancelLatencyMs =
    run.status === "Canceled" && run.cancel_requested_at !== null && run.ended_at !== null
      ? run.ended_at - run.cancel_requested_at
      : undefined;
  const fields = { executionId: run.execution_id, flowName: run.flow_name, status: run.status };
  if (run.status === "Error")
    log.warn({ ...fields, error: run.error_message }, `run failed: ${run.error_message}`);
  else log.info({ ...fields, cancelLatencyMs }, "run ended");
  return cancelLatencyMs;
}

/**
 * Executes one claimed run: source → compiled tasks → destination, one batch at a time. Each batch
 * boundary is a cancel checkpoint and a progress write (fenced on the lease). The terminal status is
 * decided by the store (endRun), so a cancel that committed first always wins.
 */
import { getConnector } from "../connectors/registry.ts";
import type { ConnectorDefinition } from "../connectors/sdk/definition.ts";
import type {
  ConnectorRunContext,
  DestinationWriter,
  RunContext,
  WriteProgress,
} from "../connectors/types.ts";
import { SluiceError, ValidationError } from "../domain/errors.ts";
import type { FlowDefinition } from "../domain/flow.ts";
import type { Logger } from "../logger.ts";
import type { RunCounts } from "../store/runs/touch-run.ts";
import type { RunsTable } from "../store/schema.ts";
import { compileTasks } from "../tasks/index.ts";
import { Checkpointer } from "./checkpointer.ts";
import { fastPath } from "./fast-path.ts";
import type { OpenedProfile } from "./profile-access.ts";
import type { RunSignals } from "./run-handle.ts";

export interface ExecutorDeps {
  env: RunContext["env"];
  log: Logger;
  now(): number;
  resolveProfile(accountId: string, name: string): Promise<OpenedProfile>;
  /** Fenced progress write; returns false when the worker no longer owns the run. */
  checkpoint(counts: RunCounts): Promise<void>;
  /** Where connector types are looked up: the registry (a caller may run other definitions). */
  connectors?: (connectorType: string) => ConnectorDefinition | undefined;
  /** The pipeline begins (its code is loaded): the maximum run time counts from here. */
  started?(): void;
}

export interface ExecutionOutcome {
  status: "Successful" | "Error" | "Canceled";
  errorMessage?: string;
  counts: RunCounts;
}

/** The record pipeline's entry point, in process or in a worker thread (run-thread.ts). */
export type PipelineExecutor = (
  run: RunsTable,
  handle: RunSignals,
  deps: ExecutorDeps,
) => Promise<ExecutionOutcome>;

export async function executeRun(
  run: RunsTable,
  handle: RunSignals,
  deps: ExecutorDeps,
): Promise<ExecutionOutcome> {
  deps.started?.();
  const flow = JSON.parse(run.flow_snapshot) as FlowDefinition;
  const counts: RunCounts = {
    recordsProcessed: 0,
    recordsWritten: 0,
    recordsDropped: 0,
    bytesProcessed: 0,
    bytesWritten: 0,
    putFailures: 0,
    dataPullStart: flow.dataPullWindow?.start ?? deps.now(),
  };
  // Progress reaches the store as commits are acknowledged and at every batch boundary, without the
  // pipeline waiting for it (checkpointer.ts).
  const checkpoints = new Checkpointer((c) => deps.checkpoint(c), counts);
  const applyProgress = (p: WriteProgress) => {
    const changed =
      counts.recordsWritten !== p.recordsWritten ||
      counts.bytesWritten !== p.bytesWritten ||
      counts.putFailures !== p.putFailures;
    counts.recordsWritten = p.recordsWritten;
    counts.bytesWritten = p.bytesWritten;
    counts.putFailures = p.putFailures;
    if (changed) checkpoints.request();
  };
  let writer: DestinationWriter | undefined;
  try {
    const base: RunContext = {
      flow,
      executionId: run.execution_id,
      startedAt: new Date(run.created_at),
      env: deps.env,
    };
    const srcCfg = flow.sourceFlowConfig;
    const dstCfg = flow.destinationFlowConfigList[0];
    if (!dstCfg) throw new ValidationError("the flow has no destination");
    const lookup = deps.connectors ?? getConnector;
    const srcDef = lookup(srcCfg.connectorType)?.source;
    const dstDef = lookup(dstCfg.connectorType)?.destination;
    if (!srcDef) throw new ValidationError(`${srcCfg.connectorType} can't be used as a source`);
    if (!dstDef) throw new ValidationError(`${dstCfg.connectorType} can't be used as a destination`);
    const srcProfile = srcCfg.connectorProfileName
      ? await deps.resolveProfile(run.account_id, srcCfg.connectorProfileName)
      : undefined;
    const dstProfile = dstCfg.connectorProfileName
      ? await deps.resolveProfile(run.account_id, dstCfg.connectorProfileName)
      : undefined;
    const tasks = compileTasks(flow.tasks);
    const context = (
      opened: OpenedProfile | undefined,
      signal: AbortSignal,
      connector: string,
    ): ConnectorRunContext => ({
      ...base,
      signal,
      hardSignal: handle.hard.signal,
      progress: applyProgress,
      log: deps.log.child({ executionId: run.execution_id, connector }),
      profile: opened?.profile,
      saveCredentials: opened ? opened.saveCredentials : async (c) => c,
      dataPullWindow: flow.dataPullWindow,
    });
    const source = srcDef.create(srcCfg, context(srcProfile, handle.soft.signal, srcCfg.connectorType));
    // A batch source finishes the batch it is reading on cancel, and that batch is then written whole:
    // the destination sees only the hard signal. A streaming source stops at once, and so does the
    // destination's write in flight (a batch destination still finishes its commit: hardSignal).
    const batchSource = source.commitMode === "batch";
    const destination = dstDef.create(
      dstCfg,
      context(dstProfile, batchSource ? handle.hard.signal : handle.soft.signal, dstCfg.connectorType),
    );
    counts.numParallel = source.numParallelProcesses;
    counts.maxPageSize = source.maxPageSize;

    const w = await destination.open();
    writer = w;
    // Simple tasks over CSV into a destination that takes encoded records: no rows of values at all.
    const fast = fastPath(source, w, tasks, flow.tasks, deps.env);
    if (fast) {
      for await (const enc of readAhead(fast.chunks(handle.soft.signal))) {
        counts.recordsProcessed += enc.records;
        counts.bytesProcessed += enc.bytes;
        counts.numParallel = fast.threads;
        if (enc.records > 0) applyProgress(await w.writeEncoded!(enc));
        checkpoints.check();
        checkpoints.request();
        if (handle.soft.signal.aborted && !batchSource) break;
      }
      counts.numParallel = fast.threads;
    } else {
      for await (const batch of readAhead(source.read())) {
        counts.recordsProcessed += batch.rows.length;
        counts.bytesProcessed += batch.bytes;
        const out = tasks.apply(batch);
        counts.recordsDropped += out.dropped;
        counts.numParallel = source.numParallelProcesses;
        if (out.batch.rows.length > 0) applyProgress(await w.write(out.batch));
        checkpoints.check();
        checkpoints.request();
        // A batch source ends by itself after the batch in flight; a streaming one is left here.
        if (handle.soft.signal.aborted && !batchSource) break;
      }
      counts.numParallel = source.numParallelProcesses;
    }
    if (handle.soft.signal.aborted) {
      // Streaming: drop what is not committed. Batch source: the last batch read is committed whole
      // (if that commit fails, the catch below aborts the writer).
      if (batchSource) applyProgress(await w.finish());
      writer = undefined;
      if (!batchSource) applyProgress(await w.abort());
      await checkpoints.flush();
      return stopped(handle, counts);
    }
    applyProgress(await w.finish());
    await checkpoints.flush();
    counts.dataPullEnd = flow.dataPullWindow?.end ?? deps.now();
    return { status: "Successful", counts };
  } catch (err) {
    if (writer) applyProgress(await writer.abort());
    // The end is written after the last progress write, never before it.
    await checkpoints.flush().catch(() => {});
    if (handle.reason) return stopped(handle, counts);
    const message = err instanceof SluiceError ? err.message : "internal error while running the flow";
    if (!(err instanceof SluiceError)) deps.log.error({ err, executionId: run.execution_id }, "run failed");
    return { status: "Error", errorMessage: message, counts };
  }
}

/**
 * Asks the source for its next batch before the current one is written, so parsing the next batch
 * overlaps the destination's I/O (a COPY, an upload). At most one batch is read ahead.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      // Rejections of the read-ahead surface at the next await; don't let them go unhandled meanwhile.
      next.catch(() => {});
      yield r.value;
    }
  } finally {
    // Stopping early (cancel, error): let the source release its streams.
    void it.return?.(undefined)?.catch(() => {});
  }
}

function stopped(handle: RunSignals, counts: RunCounts): ExecutionOutcome {
  switch (handle.reason) {
    case "timeout":
      return {
        status: "Error",
        errorMessage: "The flow run exceeded the maximum run time and was stopped.",
        counts,
      };
    case "shutdown":
      return { status: "Error", errorMessage: "The flow run was interrupted by a server shutdown.", counts };
    default:
      // "cancel"; for "lease-lost" the store fences the write, so the status here is never recorded.
      return { status: "Canceled", counts };
  }
}

/**
 * The in-process worker pool. The runs table is the queue: a free worker claims the oldest unclaimed
 * InProgress run, holds it by a lease renewed on every heartbeat and checkpoint, and ends it through
 * the store. A cancel reaches a worker directly (same process) or through the heartbeat's status read.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { claimRun } from "../store/runs/claim-run.ts";
import { endRun } from "../store/runs/end-run.ts";
import { type RunCounts, touchRun } from "../store/runs/touch-run.ts";
import type { RunsTable } from "../store/schema.ts";
import { type ExecutorDeps, executeRun } from "./run-executor.ts";
import { RunHandle, type StopReason } from "./run-handle.ts";
import { retryWhileLeased } from "./store-retry.ts";

export interface WorkerPoolOptions {
  workers: number;
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  cancelGraceMs: number;
  cancelForceMs: number;
  maxRunMs: number;
}

export type RunEndListener = (run: RunsTable, info: { cancelLatencyMs?: number }) => void;

export class WorkerPool {
  readonly owner = `worker-${randomUUID()}`;
  private readonly active = new Map<string, { handle: RunHandle; counts: RunCounts; done: Promise<void> }>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly endListeners: RunEndListener[] = [];

  constructor(
    private readonly store: Store,
    private readonly opts: WorkerPoolOptions,
    private readonly deps: Omit<ExecutorDeps, "checkpoint">,
    private readonly log: Logger,
  ) {}

  onRunEnd(l: RunEndListener): void {
    this.endListeners.push(l);
  }

  get activeCount(): number {
    return this.active.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.claimLoop();
  }

  /** A run was queued: claim it now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** CancelFlowExecutions committed CancelStarted for these runs: stop the ones running here. */
  notifyCancel(executionIds: string[]): void {
    for (const id of executionIds) this.active.get(id)?.handle.stop("cancel", this.deps.now());
  }

  /** Ordered shutdown: stop claiming, give runs `graceMs` to finish, then stop them, then wait. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    const all = () => Promise.all([...this.active.values()].map((a) => a.done));
    const timer = new Promise((r) => setTimeout(r, graceMs).unref());
    await Promise.race([all(), timer]);
    for (const a of this.active.values()) a.handle.stop("shutdown", this.deps.now());
    await all();
  }

  private async claimLoop(): Promise<void> {
    while (this.running) {
      let claimed: RunsTable | undefined;
      if (this.active.size < this.opts.workers) {
        try {
          claimed = await claimRun(
            this.store.db,
            this.store.caps,
            this.owner,
            this.deps.now(),
            this.opts.leaseMs,
          );
        } catch (err) {
          this.log.error({ err }, "claiming a run failed");
        }
      }
      if (claimed) {
        this.launch(claimed);
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.pollMs);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private launch(run: RunsTable): void {
    const id = run.execution_id;
    const handle = new RunHandle(
      id,
      this.opts.cancelGraceMs,
      this.opts.cancelForceMs,
      (h) => void this.force(h),
    );
    const entry = { handle, counts: emptyCounts(), done: Promise.resolve() };
    this.active.set(id, entry);
    this.log.info({ executionId: id, flowName: run.flow_name, account: run.account_id }, "run claimed");
    entry.done = this.runOne(run, handle, entry).finally(() => {
      handle.dispose();
      this.active.delete(id);
      this.wake();
    });
  }

  private async runOne(run: RunsTable, handle: RunHandle, entry: { counts: RunCounts }): Promise<void> {
    const id = run.execution_id;
    // Until when this worker may still hold the lease (as of its last renewal), with a margin: store
    // writes that hit a database outage are retried up to then, so a restart doesn't cost the run.
    let renewedAt = this.deps.now();
    const leaseUntil = () => renewedAt + this.opts.leaseMs * 0.8;
    const touch = async (counts?: RunCounts) => {
      const at = this.deps.now();
      const status = await touchRun(this.store.db, id, this.owner, at, this.opts.leaseMs, counts);
      if (status !== undefined) renewedAt = at;
      this.observe(handle, status);
    };
    const beat = setInterval(() => {
      touch().catch((err) => this.log.warn({ err, executionId: id }, "heartbeat failed"));
    }, this.opts.heartbeatMs);
    beat.unref();
    const deadline = setTimeout(() => handle.stop("timeout", this.deps.now()), this.opts.maxRunMs);
    deadline.unref();
    try {
      const outcome = await executeRun(run, handle, {
        ...this.deps,
        checkpoint: async (counts) => {
          entry.counts = { ...counts };
          await retryWhileLeased(() => touch(counts), leaseUntil, this.deps.now, handle.hard.signal);
        },
      });
      if (handle.forced || handle.reason === "lease-lost") return;
      const ended = await retryWhileLeased(
        () => endRun(this.store.db, id, this.owner, outcome, this.deps.now()),
        leaseUntil,
        this.deps.now,
      );
      if (ended) this.emitEnd(ended);
      else this.log.warn({ executionId: id }, "run ended elsewhere before its worker finished");
    } catch (err) {
      this.log.error({ err, executionId: id }, "recording the end of a run failed");
    } finally {
      clearInterval(beat);
      clearTimeout(deadline);
    }
  }

  private observe(handle: RunHandle, status: string | undefined): void {
    const reason: StopReason | undefined =
      status === undefined ? "lease-lost" : status === "CancelStarted" ? "cancel" : undefined;
    if (reason) handle.stop(reason, this.deps.now());
  }

  /** The worker did not stop within the grace period: record Canceled with the counts known so far. */
  private async force(handle: RunHandle): Promise<void> {
    const entry = this.active.get(handle.executionId);
    if (!entry || handle.forced) return;
    handle.forced = true;
    const ended = await endRun(
      this.store.db,
      handle.executionId,
      this.owner,
      {
        status: handle.reason === "cancel" ? "Canceled" : "Error",
        errorMessage: "The flow run did not stop within the grace period and was ended.",
        counts: entry.counts,
      },
      this.deps.now(),
    ).catch((err) => {
      this.log.error({ err, executionId: handle.executionId }, "forcing a run to end failed");
      return undefined;
    });
    if (ended) this.emitEnd(ended);
  }

  private emitEnd(run: RunsTable): void {
    const cancelLatencyMs =
      run.status === "Canceled" && run.cancel_requested_at !== null && run.ended_at !== null
        ? run.ended_at - run.cancel_requested_at
        : undefined;
    const fields = { executionId: run.execution_id, flowName: run.flow_name, status: run.status };
    // A failed run's line says why, at a level people alert on.
    if (run.status === "Error")
      this.log.warn({ ...fields, error: run.error_message }, `run failed: ${run.error_message}`);
    else this.log.info({ ...fields, cancelLatencyMs }, "run ended");
    for (const l of this.endListeners) l(run, { cancelLatencyMs });
  }
}

function emptyCounts(): RunCounts {
  return {
    recordsProcessed: 0,
    recordsWritten: 0,
    recordsDropped: 0,
    bytesProcessed: 0,
    bytesWritten: 0,
    putFailures: 0,
  };
}

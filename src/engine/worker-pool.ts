/**
 * The in-process worker pool. The runs table is the queue: a free worker claims the oldest unclaimed
 * InProgress run, holds it by a lease renewed on every heartbeat and checkpoint, and ends it through
 * the store. A cancel reaches a worker directly (same process) or through the heartbeat's status read.
 * A worker slot is taken until the run's work has really stopped (its executor settled), even when
 * the run was already recorded ended by the force timer.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { claimRun } from "../store/runs/claim-run.ts";
import { endRun } from "../store/runs/end-run.ts";
import { emptyCounts, type RunCounts, touchRun } from "../store/runs/touch-run.ts";
import type { RunsTable } from "../store/schema.ts";
import { LocalLease } from "./local-lease.ts";
import { type ExecutionOutcome, type ExecutorDeps, executeRun } from "./run-executor.ts";
import { RunHandle, type StopReason } from "./run-handle.ts";
import { logRunEnd, type RunWrites, recordForcedEnd, runWrites } from "./run-records.ts";
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

const monotonic = () => performance.now();
/** How long a run's thread may take to load its code, beyond the maximum run time. */
const LOAD_ALLOWANCE_MS = 60_000;

export type RunEndListener = (run: RunsTable, info: { cancelLatencyMs?: number }) => void;

/**
 * How a claimed run is executed: in a worker thread (thread-executor.ts, the server's), or in process
 * (the engine's tests give one that ignores signals). It may set `handle.terminate`.
 */
export type ExecuteRun = (run: RunsTable, handle: RunHandle, deps: ExecutorDeps) => Promise<ExecutionOutcome>;

interface ActiveRun {
  handle: RunHandle;
  counts: RunCounts;
  done: Promise<void>;
  lease: LocalLease;
  /** Its heartbeats and checkpoints, once the run started. */
  writes?: RunWrites;
  /** Set by the force: settles once the forced end was written (or failed to be). */
  forcedEnd?: Promise<void>;
}

export class WorkerPool {
  readonly owner = `worker-${randomUUID()}`;
  private readonly active = new Map<string, ActiveRun>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly endListeners: RunEndListener[] = [];

  constructor(
    private readonly store: Store,
    private readonly opts: WorkerPoolOptions,
    private readonly deps: Omit<ExecutorDeps, "checkpoint">,
    private readonly log: Logger,
    private readonly execute: ExecuteRun = executeRun,
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

  /**
   * Ordered shutdown: stop claiming, give runs `graceMs` to finish, then stop them, then wait for them
   * through their cancel grace and force periods. Work that ignores even that is abandoned to the
   * process exit (its run was recorded by the force, or is left to the reaper).
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    const all = () => Promise.all([...this.active.values()].map((a) => a.done));
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
    await Promise.race([all(), wait(graceMs)]);
    for (const a of this.active.values()) a.handle.stop("shutdown", this.deps.now());
    await Promise.race([all(), wait(this.opts.cancelGraceMs + this.opts.cancelForceMs + 1_000)]);
    if (this.active.size > 0)
      this.log.error({ executionIds: [...this.active.keys()] }, "run workers still executing at shutdown");
  }

  private async claimLoop(): Promise<void> {
    while (this.running) {
      let claimed: RunsTable | undefined;
      const sentAt = performance.now();
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
        this.launch(claimed, sentAt);
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

  private launch(run: RunsTable, claimSentAt: number): void {
    const id = run.execution_id;
    const handle = new RunHandle(
      id,
      this.opts.cancelGraceMs,
      this.opts.cancelForceMs,
      (h) => void this.force(h),
    );
    // Renewals failing for 0.8 × lease: stop writing before another node may reap the run.
    const lease = new LocalLease(this.opts.leaseMs, claimSentAt, () => {
      this.log.warn({ executionId: id }, "lease not renewed in time: the run's writes stop");
      handle.stop("lease-lost", this.deps.now());
    });
    const entry: ActiveRun = { handle, counts: emptyCounts(), done: Promise.resolve(), lease };
    this.active.set(id, entry);
    this.log.info({ executionId: id, flowName: run.flow_name, account: run.account_id }, "run claimed");
    entry.done = this.runOne(run, entry).finally(() => {
      handle.dispose();
      this.stopWrites(entry);
      this.active.delete(id);
      this.wake();
    });
  }

  private async runOne(run: RunsTable, entry: ActiveRun): Promise<void> {
    const id = run.execution_id;
    const { handle, lease } = entry;
    // Store writes that hit a database outage are retried while the lease may still be this worker's
    // (its local deadline), so a restart doesn't cost the run; past it the run is the reaper's.
    const leaseUntil = () => lease.deadline;
    const touch = async (counts?: RunCounts) => {
      if (handle.fenced) return;
      const sentAt = performance.now();
      const status = await touchRun(
        this.store.db,
        this.store.caps,
        id,
        this.owner,
        this.deps.now(),
        this.opts.leaseMs,
        counts,
      );
      if (status !== undefined) lease.renewed(sentAt);
      this.observe(handle, status);
    };
    const writes = runWrites(touch, this.opts.heartbeatMs, (err) =>
      this.log.warn({ err, executionId: id }, "heartbeat failed"),
    );
    entry.writes = writes;
    // The maximum run time counts from the pipeline's start: a thread may still be loading code when
    // the run is claimed (seconds on a loaded machine), and that is not the run's time. Loading gets
    // LOAD_ALLOWANCE_MS on top, so a thread that never loads still ends its run.
    const armDeadline = (ms: number) => {
      const t = setTimeout(() => handle.stop("timeout", this.deps.now()), ms);
      t.unref();
      return t;
    };
    let deadline = armDeadline(this.opts.maxRunMs + LOAD_ALLOWANCE_MS);
    try {
      const outcome = await this.execute(run, handle, {
        ...this.deps,
        started: () => {
          clearTimeout(deadline);
          if (!handle.reason) deadline = armDeadline(this.opts.maxRunMs);
        },
        checkpoint: async (counts) => {
          entry.counts = { ...counts };
          await retryWhileLeased(() => writes.write(counts), leaseUntil, monotonic, handle.hard.signal);
        },
      });
      if (handle.forced) {
        // The slot is freed only after the forced end is written: terminate → record → free.
        await entry.forcedEnd;
        this.log.warn({ executionId: id }, "the work of a forced run stopped: its worker slot is free");
        return;
      }
      // The work is over: the force timer must not race the end written below.
      handle.dispose();
      if (handle.fenced) return;
      const ended = await retryWhileLeased(
        () => endRun(this.store.db, id, this.owner, outcome, this.deps.now()),
        leaseUntil,
        monotonic,
      );
      if (ended) this.emitEnd(ended);
      else this.log.warn({ executionId: id }, "run ended elsewhere before its worker finished");
    } catch (err) {
      this.log.error({ err, executionId: id }, "recording the end of a run failed");
    } finally {
      clearTimeout(deadline);
    }
  }

  /** No more heartbeats and no local lease deadline: this worker writes nothing more for the run. */
  private stopWrites(entry: ActiveRun): void {
    entry.writes?.stop();
    entry.lease.dispose();
  }

  private observe(handle: RunHandle, status: string | undefined): void {
    const reason: StopReason | undefined =
      status === undefined ? "lease-lost" : status === "CancelStarted" ? "cancel" : undefined;
    if (reason) handle.stop(reason, this.deps.now());
  }

  /**
   * The work did not stop within the grace and force periods: its thread is terminated and its end
   * recorded (recordForcedEnd), and the heartbeat stops, so the record no longer depends on the work.
   * In-process work (which can't be killed) goes on, and its slot stays taken until it stops.
   */
  private async force(handle: RunHandle): Promise<void> {
    const entry = this.active.get(handle.executionId);
    if (!entry || handle.forced) return;
    handle.forced = true;
    this.stopWrites(entry);
    let written!: () => void;
    entry.forcedEnd = new Promise<void>((r) => {
      written = r;
    });
    try {
      const { store, owner, log, deps } = this;
      const ended = await recordForcedEnd(store, owner, log, handle, entry.counts, () => deps.now());
      if (ended) this.emitEnd(ended);
      if (!handle.terminate)
        this.log.warn(
          { executionId: handle.executionId },
          "a forced run's work has not stopped: its worker slot stays taken until it does",
        );
    } finally {
      written();
    }
  }

  private emitEnd(run: RunsTable): void {
    const cancelLatencyMs = logRunEnd(this.log, run);
    for (const l of this.endListeners) l(run, { cancelLatencyMs });
  }
}

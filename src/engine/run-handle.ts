/**
 * One running run's control: a soft AbortSignal (cancel: streaming I/O stops at once, batch
 * destinations finish the batch in flight) and a hard one (after the grace period: everything stops).
 * Why the run is stopping decides its terminal status, so the reason is kept here.
 */
export type StopReason = "cancel" | "lease-lost" | "timeout" | "shutdown";

/** What the record pipeline sees of a run's control: its two signals and why it is stopping. */
export interface RunSignals {
  readonly soft: AbortController;
  readonly hard: AbortController;
  readonly reason: StopReason | undefined;
}

export class RunHandle implements RunSignals {
  readonly soft = new AbortController();
  readonly hard = new AbortController();
  reason: StopReason | undefined;
  /** The force timer fired: the run's end was (or is being) recorded without waiting for its work. */
  forced = false;
  /** When the cancel reached this worker (for cancel latency). */
  stopRequestedAt: number | undefined;
  /**
   * Set by an executor whose work can be killed (a worker thread): the force ends the work with it
   * before recording the end, so the run's slot is freed and `Canceled` means the work stopped.
   */
  terminate: (() => Promise<void>) | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    readonly executionId: string,
    private readonly graceMs: number,
    private readonly forceMs: number,
    private readonly onForce: (h: RunHandle) => void,
  ) {}

  /**
   * This worker writes nothing more for the run, neither heartbeat, progress nor status: after a
   * force the end is recorded (or left to the reaper); after a lost lease another node may own it.
   */
  get fenced(): boolean {
    return this.forced || this.reason === "lease-lost";
  }

  stop(reason: StopReason, now: number): void {
    if (this.reason) return;
    this.reason = reason;
    this.stopRequestedAt = now;
    this.soft.abort(new StopError(reason));
    if (reason === "lease-lost") {
      // Another node may own the run now: stop all I/O immediately.
      this.hard.abort(new StopError(reason));
      return;
    }
    const grace = setTimeout(() => this.hard.abort(new StopError(reason)), this.graceMs);
    const force = setTimeout(() => this.onForce(this), this.graceMs + this.forceMs);
    grace.unref();
    force.unref();
    this.timers.push(grace, force);
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

export class StopError extends Error {
  constructor(readonly reason: StopReason) {
    super(`run stopped: ${reason}`);
    this.name = "AbortError";
  }
}

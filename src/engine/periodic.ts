/**
 * A background task on a timer, shared by the reaper, the scheduler, the outbox and housekeeping.
 * Runs never overlap: a timer tick is skipped while a run is going, and explicit runs (tests driving
 * the clock, a final flush at shutdown) wait for the one in progress instead of being dropped.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly intervalMs: number,
    private readonly onTimer: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.onTimer()
        .catch(() => {})
        .finally(() => {
          this.busy = false;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs `fn` once every run before it has finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }
}

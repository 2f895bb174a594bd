/**
 * A run's progress writes, coalesced. A checkpoint is a store write on the main thread (from a worker
 * thread, a message and its reply), so the pipeline never waits for one: `request()` returns at once,
 * one write is in flight at a time, and counts that change meanwhile are written by one more write
 * when it returns — never a queue. Writes go in order, so the store never sees older counts after
 * newer ones. Counts are those of commits already acknowledged, so they never exceed what the
 * destination holds. A failed write (the lease is gone, the store is down past it) is thrown by the
 * next `check()` or `flush()`.
 */
import type { RunCounts } from "../store/runs/touch-run.ts";

export class Checkpointer {
  private inFlight: Promise<void> | undefined;
  private dirty = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly write: (counts: RunCounts) => Promise<void>,
    private readonly counts: RunCounts,
  ) {}

  /** The counts changed: write them as soon as the write in flight (if any) is done. */
  request(): void {
    if (this.failure) return;
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    this.send();
  }

  /** Throws the error of a write that failed. */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Waits until every requested write is done (the end is recorded after them, never before). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.check();
  }

  private send(): void {
    this.dirty = false;
    this.inFlight = this.write({ ...this.counts }).then(
      () => {
        this.inFlight = undefined;
        if (this.dirty) this.send();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.failure ??= { error };
      },
    );
  }
}

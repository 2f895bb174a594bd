/**
 * The worker's own view of its lease. The store's lease expires `leaseMs` after the last renewal the
 * database accepted; a worker whose renewals fail can't know whether another node has reaped its run
 * yet, so it stops writing at a local deadline before the lease can expire: `fraction` × `leaseMs`
 * after the *sending* of its last successful renewal (the database stamped it no earlier than that).
 * Monotonic time (performance.now), so a wall-clock jump can't move the deadline.
 */
import { performance } from "node:perf_hooks";

export const LOCAL_LEASE_FRACTION = 0.8;

export class LocalLease {
  private renewedFrom: number;
  private timer: NodeJS.Timeout | undefined;
  private lapsed = false;

  /** `takenAt`: when the claim that took the lease was sent (performance.now()). */
  constructor(
    private readonly leaseMs: number,
    takenAt: number,
    private readonly onLapse: () => void,
    private readonly fraction = LOCAL_LEASE_FRACTION,
  ) {
    this.renewedFrom = takenAt;
    this.arm();
  }

  /** A renewal sent at `sentAt` (performance.now()) was accepted by the store. */
  renewed(sentAt: number): void {
    if (this.lapsed || sentAt <= this.renewedFrom) return;
    this.renewedFrom = sentAt;
    this.arm();
  }

  /** When (performance.now()) the worker stops writing unless a renewal succeeds first. */
  get deadline(): number {
    return this.lapsed ? Number.NEGATIVE_INFINITY : this.renewedFrom + this.fraction * this.leaseMs;
  }

  get hasLapsed(): boolean {
    return this.lapsed;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const deadline = this.deadline;
    this.timer = setTimeout(
      () => {
        this.lapsed = true;
        this.timer = undefined;
        this.onLapse();
      },
      Math.max(0, deadline - performance.now()),
    );
    this.timer.unref();
  }
}

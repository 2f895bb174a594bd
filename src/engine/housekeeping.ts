/**
 * Keeps the store from growing without bound: expired clientToken records and run reports that every
 * webhook has received long ago are deleted periodically.
 */
import type { Logger } from "../logger.ts";
import { purgeIdempotent } from "../store/idempotency-sql.ts";
import type { Store } from "../store/open-store.ts";
import { purgeDelivered } from "../store/outbox-sql.ts";
import { Periodic } from "./periodic.ts";

const DELIVERED_KEEP_MS = 7 * 24 * 3600_000;

export class Housekeeping {
  private readonly periodic: Periodic;

  constructor(
    private readonly store: Store,
    private readonly idempotencyMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
    intervalMs = 10 * 60_000,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.tick());
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  tick(): Promise<void> {
    return this.periodic.exclusive(() => this.purge());
  }

  private async purge(): Promise<void> {
    try {
      await purgeIdempotent(this.store.db, this.now() - this.idempotencyMs);
      await purgeDelivered(this.store.db, this.now() - DELIVERED_KEEP_MS);
    } catch (err) {
      this.log.warn({ err }, "housekeeping failed");
    }
  }
}

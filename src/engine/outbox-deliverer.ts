/**
 * Delivers run reports from the outbox to the configured webhooks with exponential backoff. An event
 * is marked delivered only when every webhook answered 2xx, so a restart never loses one (a webhook
 * may see an event twice: at-least-once). With no webhooks, events are only logged. Each batch is
 * claimed first, so several nodes deliver disjoint batches: an event normally goes out once, and
 * receivers de-duplicate the rest by the event id. A claim outlives the slowest delivery of its
 * batch (every POST times out), so only a dead or stalled node's claim expires and is retaken.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { claimEvents, markDelivered, markFailed, type OutboxRow } from "../store/outbox-sql.ts";
import { Periodic } from "./periodic.ts";
import { retryWhileLeased } from "./store-retry.ts";

const BATCH = 10;
const POST_TIMEOUT_MS = 10_000;
const CLAIM_MS = BATCH * POST_TIMEOUT_MS + 20_000;

export class OutboxDeliverer {
  private readonly periodic: Periodic;
  readonly owner = `outbox-${randomUUID()}`;

  constructor(
    private readonly store: Store,
    private readonly webhooks: string[],
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly onDelivery: (result: "delivered" | "failed") => void = () => {},
    intervalMs = 500,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.tick());
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Delivers what is due now (after any delivery in progress). */
  tick(): Promise<void> {
    return this.periodic.exclusive(() => this.deliverDue());
  }

  private async deliverDue(): Promise<void> {
    try {
      const { db, caps } = this.store;
      for (;;) {
        const claimedAt = this.now();
        const events = await claimEvents(db, caps, this.owner, claimedAt, CLAIM_MS, BATCH);
        // Marks that hit a database outage are retried while the claim holds: a report that went out
        // is not sent again after the restart, and the batch isn't stuck until the claim expires.
        const whileClaimed = <T>(fn: () => Promise<T>) =>
          retryWhileLeased(fn, () => claimedAt + CLAIM_MS * 0.8, this.now);
        for (const ev of events) await this.deliver(ev, whileClaimed);
        if (events.length < BATCH) return;
      }
    } catch (err) {
      this.log.error({ err }, "outbox delivery failed");
    }
  }

  private async deliver(ev: OutboxRow, whileClaimed: <T>(fn: () => Promise<T>) => Promise<T>): Promise<void> {
    try {
      await Promise.all(this.webhooks.map((url) => post(url, ev.payload)));
      await whileClaimed(() => markDelivered(this.store.db, ev.id, this.now()));
      if (this.webhooks.length > 0) this.onDelivery("delivered");
      this.log.info(
        { executionId: ev.execution_id, event: ev.detail_type, delivered: this.webhooks.length },
        "run report",
      );
    } catch (err) {
      const attempts = ev.attempts + 1;
      const backoff = Math.min(300_000, 1000 * 2 ** Math.min(attempts, 9));
      await whileClaimed(() =>
        markFailed(this.store.db, this.owner, ev.id, attempts, this.now() + backoff, String(err)),
      );
      this.onDelivery("failed");
      this.log.warn({ executionId: ev.execution_id, attempts, err: String(err) }, "webhook delivery failed");
    }
  }
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`webhook ${url} answered ${res.status}`);
}

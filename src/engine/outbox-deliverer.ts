/**
 * Delivers run reports from the outbox to the configured webhooks with exponential backoff. An event
 * is marked delivered only when every webhook answered 2xx, so a restart never loses one (a webhook
 * may see an event twice: at-least-once). With no webhooks, events are only logged.
 */
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { markDelivered, markFailed, pendingEvents } from "../store/outbox-sql.ts";
import { Periodic } from "./periodic.ts";

export class OutboxDeliverer {
  private readonly periodic: Periodic;

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
      const events = await pendingEvents(this.store.db, this.now(), 100);
      for (const ev of events) {
        try {
          await Promise.all(this.webhooks.map((url) => post(url, ev.payload)));
          await markDelivered(this.store.db, ev.id, this.now());
          if (this.webhooks.length > 0) this.onDelivery("delivered");
          this.log.info(
            { executionId: ev.execution_id, event: ev.detail_type, delivered: this.webhooks.length },
            "run report",
          );
        } catch (err) {
          const attempts = ev.attempts + 1;
          const backoff = Math.min(300_000, 1000 * 2 ** Math.min(attempts, 9));
          await markFailed(this.store.db, ev.id, attempts, this.now() + backoff, String(err));
          this.onDelivery("failed");
          this.log.warn(
            { executionId: ev.execution_id, attempts, err: String(err) },
            "webhook delivery failed",
          );
        }
      }
    } catch (err) {
      this.log.error({ err }, "outbox delivery failed");
    }
  }
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`webhook ${url} answered ${res.status}`);
}

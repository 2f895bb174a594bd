/**
 * A PostgreSQL LISTEN connection that survives the database: when the connection is lost (server
 * restart, pg_terminate_backend, network), it reconnects with capped exponential backoff and LISTENs
 * again. Notifications sent while it was down are lost — NOTIFY has no replay — so `onReconnect`
 * lets the caller catch up (wake the claim loop; heartbeats re-read cancels anyway).
 */
import pg from "pg";

export interface ListenerEvents {
  onMessage(channel: string, payload: string): void;
  /** The connection failed (logged by the caller); a reconnect is already scheduled. */
  onError(err: unknown): void;
  /** LISTENing again after a loss. */
  onReconnect(): void;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

export class PgListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_DELAY_MS;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channels: string[],
    private readonly events: ListenerEvents,
  ) {}

  /** The first connection: its failure is the caller's (a node that can't LISTEN at start fails to start). */
  async start(): Promise<void> {
    await this.connect();
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    let lost = false;
    const onLost = (err: unknown) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => {});
      if (this.stopped) return;
      this.events.onError(err);
      this.scheduleReconnect();
    };
    // Without this listener pg's 'error' event is unhandled and kills the process.
    client.on("error", onLost);
    client.on("end", () => onLost(new Error("the LISTEN connection ended")));
    client.on("notification", (n) => this.events.onMessage(n.channel, n.payload ?? ""));
    try {
      await client.connect();
      for (const ch of this.channels) await client.query(`LISTEN "${ch.replaceAll('"', '""')}"`);
    } catch (err) {
      lost = true;
      await client.end().catch(() => {});
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.delayMs = FIRST_DELAY_MS;
  }

  private scheduleReconnect(): void {
    // Jitter spreads the reconnects of many nodes after one restart.
    const delay = this.delayMs * (0.5 + Math.random() / 2);
    this.delayMs = Math.min(this.delayMs * 2, MAX_DELAY_MS);
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.connect().then(
        () => {
          if (!this.stopped) this.events.onReconnect();
        },
        (err) => {
          if (this.stopped) return;
          this.events.onError(err);
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.timer.unref();
  }
}

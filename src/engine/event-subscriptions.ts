/**
 * Event-triggered flows: one subscriber per active event flow, on one node at a time. Each node syncs
 * every heartbeat: it takes (or renews) the store lease of every active event flow it can, starts a
 * subscriber for each one it holds, and stops those whose flow was stopped, deleted or whose lease
 * another node took (after this one stopped renewing: it died). A subscriber buffers the source's
 * events and delivers a batch as a run (event-batch-run.ts) every N events or T seconds.
 */
import { randomUUID } from "node:crypto";
import { getConnector } from "../connectors/registry.ts";
import type { Batching, SourceEvent } from "../connectors/sdk/events.ts";
import { SluiceError, ValidationError } from "../domain/errors.ts";
import type { SourceFlowConfig } from "../domain/flow.ts";
import type { Logger } from "../logger.ts";
import {
  activeEventFlows,
  failSubscription,
  releaseAllSubscriptions,
  releaseSubscription,
  takeSubscription,
} from "../store/event-subscriptions-sql.ts";
import type { FlowRow } from "../store/flows-sql.ts";
import type { RunsTable } from "../store/schema.ts";
import { deliverEventBatch, type EventBatchDeps, resumeEventBatch } from "./event-batch-run.ts";
import { emitEventFlowReport } from "./event-flow-report.ts";
import { Periodic } from "./periodic.ts";

export type EventSubscriptionDeps = Omit<EventBatchDeps, "owner"> & {
  /** How long an "AppFlow Event Flow Report" window is (config.engine.eventFlowReportMs). */
  reportIntervalMs: number;
  onRunEnd?(run: RunsTable): void;
};

type Batch = { executionId: string; firstReplayId: number; lastReplayId: number };

const key = (f: { account_id: string; flow_name: string }) => `${f.account_id}\u0000${f.flow_name}`;

export class EventSubscriptions {
  readonly owner = `events-${randomUUID()}`;
  private readonly subs = new Map<string, Subscriber>();
  /** The report window boundary each flow was last checked at. */
  private readonly reported = new Map<string, number>();
  private readonly periodic: Periodic;

  constructor(private readonly deps: EventSubscriptionDeps) {
    this.periodic = new Periodic(deps.heartbeatMs, () => this.sync());
  }

  async start(): Promise<void> {
    // SQLite: this process holds the data dir's lock, so leases still recorded were a dead process's.
    if (this.deps.store.caps.dialect === "sqlite") await releaseAllSubscriptions(this.deps.store.db);
    this.periodic.start();
    void this.sync().catch((err: unknown) => this.deps.log.error({ err }, "event flow sync failed"));
  }

  async stop(): Promise<void> {
    this.periodic.stop();
    await this.periodic.exclusive(async () => {
      await Promise.all([...this.subs.values()].map((s) => this.end(s)));
    });
  }

  /** Takes what it can, stops what it lost (exported for tests driving it directly). */
  sync(): Promise<void> {
    return this.periodic.exclusive(async () => {
      const { store, log } = this.deps;
      const flows = await activeEventFlows(store.db);
      const active = new Set(flows.map(key));
      for (const s of [...this.subs.values()]) if (!active.has(key(s.flow)) || s.finished) await this.end(s);
      for (const flow of flows) {
        const take = () =>
          takeSubscription(
            store.db,
            store.caps,
            flow.account_id,
            flow.flow_name,
            this.owner,
            this.deps.now(),
            this.deps.leaseMs,
          );
        let lease = await take();
        const running = this.subs.get(key(flow));
        if (!lease) {
          if (running) await this.end(running, false);
          continue;
        }
        await this.report(flow);
        if (running && running.flow.row_version === flow.row_version) continue;
        if (running) {
          // UpdateFlow changed it: resubscribe with the new definition, from where the old subscriber's
          // last batch left the replay id (read again: that batch may have ended while it stopped).
          await this.end(running, false);
          lease = await take();
          if (!lease) continue;
        }
        const s = new Subscriber(flow, lease.replayId ?? undefined, lease.batch, {
          ...this.deps,
          owner: this.owner,
        });
        this.subs.set(key(flow), s);
        log.info(
          { flowName: flow.flow_name, replayId: lease.replayId, resumedBatch: lease.batch?.executionId },
          "event flow subscriber started",
        );
        s.start();
      }
    });
  }

  /** Once per window boundary per flow, the store decides whether this node reports it. */
  private async report(flow: FlowRow): Promise<void> {
    const { store, now, reportIntervalMs, log } = this.deps;
    const t = now();
    const boundary = Math.floor(t / reportIntervalMs) * reportIntervalMs;
    if (this.reported.get(key(flow)) === boundary) return;
    try {
      await emitEventFlowReport(store, flow, t, reportIntervalMs);
      this.reported.set(key(flow), boundary);
    } catch (err) {
      log.error({ err, flowName: flow.flow_name }, "emitting the event flow report failed");
    }
  }

  private async end(s: Subscriber, release = true): Promise<void> {
    this.subs.delete(key(s.flow));
    await s.stop();
    if (release)
      await releaseSubscription(this.deps.store.db, s.flow.account_id, s.flow.flow_name, this.owner);
  }
}

class Subscriber {
  private readonly ac = new AbortController();
  private buffer: SourceEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private done: Promise<void> = Promise.resolve();
  /** Wakes the reading side once deliveries made room in a full buffer. */
  private room: (() => void) | undefined;
  finished = false;
  private readonly log: Logger;

  constructor(
    readonly flow: FlowRow,
    private readonly replayId: number | undefined,
    /** The batch a lost node left unfinished: delivered first, again, under its own run. */
    private pending: Batch | undefined,
    private readonly deps: EventSubscriptionDeps & { owner: string },
  ) {
    this.log = deps.log.child({ flowName: flow.flow_name, account: flow.account_id });
  }

  start(): void {
    this.done = this.loop().finally(() => {
      this.finished = true;
    });
  }

  async stop(): Promise<void> {
    this.ac.abort();
    clearTimeout(this.timer);
    this.room?.();
    await this.done;
    await this.chain;
  }

  private async loop(): Promise<void> {
    const cfg = (JSON.parse(this.flow.definition) as { sourceFlowConfig: SourceFlowConfig }).sourceFlowConfig;
    const events = getConnector(cfg.connectorType)?.source?.events;
    try {
      if (!events) throw new ValidationError(`${cfg.connectorType} has no event source`);
      const opened = cfg.connectorProfileName
        ? await this.deps.resolveProfile(this.flow.account_id, cfg.connectorProfileName)
        : undefined;
      const batching = events.batching(this.deps.env);
      await events.subscribe(cfg, {
        profile: opened?.profile,
        saveCredentials: opened ? opened.saveCredentials : async (c) => c,
        env: this.deps.env,
        log: this.log,
        signal: this.ac.signal,
        // A batch resumed before any replay id was stored: every retained event, those before it dropped.
        replayId: this.replayId ?? (this.pending ? -2 : undefined),
        onEvents: (evs) => this.onEvents(evs, batching),
      });
    } catch (err) {
      if (this.ac.signal.aborted) return;
      const message = err instanceof SluiceError ? err.message : "internal error in the event subscription";
      if (!(err instanceof SluiceError)) this.log.error({ err }, "event subscription failed");
      else this.log.warn({ error: message }, "event flow stopped with an error");
      await failSubscription(this.deps.store.db, this.flow.account_id, this.flow.flow_name, message).catch(
        (e: unknown) => this.log.error({ err: e }, "recording the event flow's error failed"),
      );
    }
  }

  private async onEvents(evs: SourceEvent[], b: Batching): Promise<void> {
    const from = this.pending?.firstReplayId;
    this.buffer.push(...(from === undefined ? evs : evs.filter((e) => e.replayId >= from)));
    // Backpressure: the next long-poll waits while a full batch is delivered.
    if (this.ready(b)) await this.flush(b);
    else if (this.buffer.length > 0) this.timer ??= setTimeout(() => void this.flush(b), b.maxMs);
    // Bounded: past maxBuffered undelivered events (deliveries failing), nothing more is read until a
    // delivery makes room. Lossless: an event is acknowledged only by the replay id stored after it
    // was delivered, and the stream resumes after the last event received (or, if the server forgot
    // this client meanwhile, the client handshakes and subscribes after it again).
    if (this.buffer.length >= b.maxBuffered && !this.ac.signal.aborted) {
      this.log.warn(
        { buffered: this.buffer.length, limit: b.maxBuffered },
        "event buffer full: no more events are read until a batch is delivered",
      );
      // A batch being resumed is read whole first, even past the limit (it is at most one batch).
      while (this.buffer.length >= b.maxBuffered && !this.ac.signal.aborted && !this.resuming())
        await new Promise<void>((r) => {
          this.room = r;
        });
    }
  }

  /** A batch can go now: a full one, or all the events of the batch being resumed. */
  private ready(b: Batching): boolean {
    if (this.pending) return !this.resuming();
    return this.buffer.length >= b.maxEvents;
  }

  /** The batch being resumed hasn't been received whole again yet. */
  private resuming(): boolean {
    const p = this.pending;
    return p !== undefined && !this.buffer.some((e) => e.replayId >= p.lastReplayId);
  }

  private flush(b: Batching): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.deliver(b));
    return this.chain;
  }

  private async deliver(b: Batching): Promise<void> {
    while (this.buffer.length > 0 && !this.ac.signal.aborted) {
      const p = this.pending;
      // The batch being resumed is delivered only whole (its events arrive again after a restart).
      if (this.resuming()) return;
      const n = p
        ? this.buffer.filter((e) => e.replayId <= p.lastReplayId).length
        : batchSize(this.buffer, b);
      const batch = this.buffer.slice(0, n);
      if (p && batch[0]?.replayId !== p.firstReplayId) return this.lost(p);
      let run: RunsTable | undefined;
      try {
        if (p) {
          const r = await resumeEventBatch(this.deps, this.flow, p.executionId, batch);
          if ("state" in r && r.state === "held") return this.retryLater(b);
          this.pending = undefined; // its run ended, here or meanwhile (then its events go as new batches)
          if ("state" in r) continue;
          run = r.run;
        } else run = await deliverEventBatch(this.deps, this.flow, batch);
      } catch (err) {
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "delivering an event batch failed",
        );
      }
      if (run) this.deps.onRunEnd?.(run);
      // Not acknowledged (the replay id did not move): the same events go again after a pause.
      if (run?.status !== "Successful") return this.retryLater(b);
      this.buffer.splice(0, batch.length);
      this.room?.();
      this.room = undefined;
    }
  }

  /**
   * The interrupted batch's first events are no longer retained (the flow was down past Salesforce's
   * retention): it can't be delivered again as it was, so the flow stops (Errored) and its run is left
   * to the reaper, keeping what the lost attempt wrote.
   */
  private async lost(p: Batch): Promise<void> {
    const message = `The events of the interrupted batch ${p.executionId} (replay ids ${p.firstReplayId} to ${p.lastReplayId}) are no longer retained by Salesforce, so it can't be delivered again. Stop and start the flow to subscribe for new events only.`;
    this.log.warn({ error: message }, "event flow stopped with an error");
    this.ac.abort();
    this.room?.();
    await failSubscription(this.deps.store.db, this.flow.account_id, this.flow.flow_name, message).catch(
      (e: unknown) => this.log.error({ err: e }, "recording the event flow's error failed"),
    );
  }

  private retryLater(b: Batching): void {
    if (!this.ac.signal.aborted) this.timer ??= setTimeout(() => void this.flush(b), b.maxMs);
  }
}

/** maxEvents, but never splitting one replay id's records (a change to several records) in two. */
function batchSize(buffer: SourceEvent[], b: Batching): number {
  let n = Math.min(buffer.length, b.maxEvents);
  while (n < buffer.length && buffer[n]!.replayId === buffer[n - 1]!.replayId) n++;
  return n;
}

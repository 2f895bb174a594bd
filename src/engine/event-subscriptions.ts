/**
 * Event-triggered flows: one subscriber per active event flow, on one node at a time. Each node syncs
 * every heartbeat: it takes (or renews) the store lease of every active event flow it can, starts a
 * subscriber for each one it holds, and stops those whose flow was stopped, deleted or whose lease
 * another node took (after this one stopped renewing: it died). A subscriber buffers the source's
 * events and delivers a batch as a run (event-batch-run.ts) every N events or T seconds.
 */
import { randomUUID } from "node:crypto";
import { getConnector } from "../connectors/registry.ts";
import type { SourceEvent } from "../connectors/sdk/events.ts";
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
import { deliverEventBatch, type EventBatchDeps } from "./event-batch-run.ts";
import { Periodic } from "./periodic.ts";

export type EventSubscriptionDeps = Omit<EventBatchDeps, "owner"> & { onRunEnd?(run: RunsTable): void };

const key = (f: { account_id: string; flow_name: string }) => `${f.account_id}\u0000${f.flow_name}`;

export class EventSubscriptions {
  readonly owner = `events-${randomUUID()}`;
  private readonly subs = new Map<string, Subscriber>();
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
        const lease = await takeSubscription(
          store.db,
          store.caps,
          flow.account_id,
          flow.flow_name,
          this.owner,
          this.deps.now(),
          this.deps.leaseMs,
        );
        const running = this.subs.get(key(flow));
        if (!lease) {
          if (running) await this.end(running, false);
          continue;
        }
        if (running && running.flow.row_version === flow.row_version) continue;
        if (running) await this.end(running, false); // UpdateFlow changed it: resubscribe with the new definition
        const s = new Subscriber(flow, lease.replayId ?? undefined, { ...this.deps, owner: this.owner });
        this.subs.set(key(flow), s);
        log.info({ flowName: flow.flow_name, replayId: lease.replayId }, "event flow subscriber started");
        s.start();
      }
    });
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
  finished = false;
  private readonly log: Logger;

  constructor(
    readonly flow: FlowRow,
    private readonly replayId: number | undefined,
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
        replayId: this.replayId,
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

  private async onEvents(evs: SourceEvent[], b: { maxEvents: number; maxMs: number }): Promise<void> {
    this.buffer.push(...evs);
    if (this.buffer.length >= b.maxEvents) {
      // Backpressure: the next long-poll waits while a full batch is delivered.
      await this.flush(b);
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(b), b.maxMs);
  }

  private flush(b: { maxEvents: number; maxMs: number }): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.deliver(b));
    return this.chain;
  }

  private async deliver(b: { maxEvents: number; maxMs: number }): Promise<void> {
    while (this.buffer.length > 0 && !this.ac.signal.aborted) {
      const batch = this.buffer.slice(0, b.maxEvents);
      let run: RunsTable | undefined;
      try {
        run = await deliverEventBatch(this.deps, this.flow, batch);
      } catch (err) {
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "delivering an event batch failed",
        );
      }
      if (run) this.deps.onRunEnd?.(run);
      if (run?.status !== "Successful") {
        // Not acknowledged (the replay id did not move): the same events go again after a pause.
        if (!this.ac.signal.aborted) this.timer ??= setTimeout(() => void this.flush(b), b.maxMs);
        return;
      }
      this.buffer.splice(0, batch.length);
    }
  }
}

/**
 * Event-triggered flows (triggerType Event): a source that can subscribe to a change stream. The engine
 * (src/engine/event-subscriptions.ts) buffers what `subscribe` hands it and delivers batches as runs; it
 * stores the replay id of a batch's last event when that run ends Successful, and resubscribes from it.
 */

import type { SourceFlowConfig } from "../../domain/flow.ts";
import type { Logger } from "../../logger.ts";
import type { ConnectorEnvironment, FieldValue, ResolvedProfile } from "../types.ts";

/** One change, flattened to a record, with the replay id that resumes the stream after it. */
export interface SourceEvent {
  replayId: number;
  record: Record<string, FieldValue>;
}

export interface EventSubscribeContext {
  profile: ResolvedProfile | undefined;
  saveCredentials(updated: Record<string, unknown>): Promise<Record<string, unknown>>;
  env: ConnectorEnvironment;
  log: Logger;
  /** Aborts the subscription (StopFlow, lease lost, shutdown): `subscribe` then resolves. */
  signal: AbortSignal;
  /** Resume after this event; undefined: new events only (a flow just activated); -2: every retained event. */
  replayId: number | undefined;
  /** Called in order with each group of events received; awaited before the next is asked for. */
  onEvents(events: SourceEvent[]): Promise<void>;
}

export interface EventSourceDefinition {
  /** CreateFlow/UpdateFlow: throws a ValidationError when the config names no event channel. */
  check(config: SourceFlowConfig): void;
  /**
   * Runs until `ctx.signal` aborts (resolves) or the stream can't go on (rejects with a SluiceError
   * saying why: the replay id expired, the credentials were refused after a refresh). Transient
   * failures are retried inside, with backoff.
   */
  subscribe(config: SourceFlowConfig, ctx: EventSubscribeContext): Promise<void>;
  /**
   * A batch (one run) is closed at `maxEvents` events or `maxMs` after its first event; past
   * `maxBuffered` undelivered events no more are read until a batch is delivered.
   */
  batching(env: ConnectorEnvironment): Batching;
}

export interface Batching {
  maxEvents: number;
  maxMs: number;
  maxBuffered: number;
}

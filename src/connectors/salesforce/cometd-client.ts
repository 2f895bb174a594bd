/**
 * A Streaming API (CometD / Bayeux 1.0, long-polling) client for Change Data Capture channels:
 * handshake, subscribe with the replay extension, /meta/connect long-polls, reconnect with backoff.
 * Salesforce answers protocol errors with HTTP 200 and `successful: false`: "401::Authentication
 * invalid" and "403::Handshake denied" mean the session expired (refresh the token once, handshake
 * again), "403::Unknown client" means the server forgot us (handshake again, resubscribe after the
 * last event received), an invalid replay id means the events after it are gone (fatal).
 * Docs: Streaming API Developer Guide ("Clients and Timeouts", "Message Durability", "Handling
 * Streaming API Errors"); Change Data Capture Developer Guide ("Subscription Channels").
 */
import { ConnectorAuthenticationError, ConnectorServerError } from "../../domain/errors.ts";
import type { Logger } from "../../logger.ts";
import type { SourceEvent } from "../sdk/events.ts";
import type { SalesforceAuth } from "./sf-http.ts";

type Reply = {
  channel?: string;
  successful?: boolean;
  error?: string;
  clientId?: string;
  advice?: { reconnect?: string };
  data?: { payload?: Record<string, unknown>; event?: { replayId?: number } };
};

export interface CometdOptions {
  instanceUrl: string;
  apiVersion: string;
  auth: SalesforceAuth;
  log: Pick<Logger, "info" | "warn">;
  backoff: { baseMs: number; maxMs: number };
}

/** A session problem: refresh the token (once) and handshake again. */
class SessionError extends Error {}
/** The server forgot the client: handshake again. */
class RehandshakeError extends Error {}

export class CometdClient {
  private id = 0;
  private clientId = "";
  private token = "";

  constructor(private readonly o: CometdOptions) {}

  /** Subscribes to `channel` after `replayId` (-1: new events) and hands events over until `signal` aborts. */
  async run(
    channel: string,
    replayId: number,
    onEvents: (events: SourceEvent[]) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    let last = replayId;
    let failures = 0;
    let refreshedFor = "";
    while (!signal.aborted) {
      try {
        await this.handshake(signal);
        await this.subscribe(channel, last, signal);
        this.o.log.info({ channel, replayId: last }, "subscribed to the change event channel");
        failures = 0;
        for (;;) {
          const events = await this.connect(signal);
          if (events.length === 0) continue;
          await onEvents(events);
          last = events.at(-1)!.replayId;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof SessionError) {
          // One refresh per rejected token: a refreshed token refused again needs re-authorization.
          if (refreshedFor === this.token)
            throw new ConnectorAuthenticationError(
              `Salesforce refused the refreshed access token on the Streaming API (${err.message}); re-authorize the connector profile`,
            );
          refreshedFor = await this.o.auth.refresh(this.token, signal);
          continue;
        }
        if (err instanceof RehandshakeError) continue;
        if (!(err instanceof TransientError)) throw err;
        failures++;
        const delay = Math.min(this.o.backoff.maxMs, this.o.backoff.baseMs * 2 ** (failures - 1));
        this.o.log.warn(
          { channel, err: err.message, delayMs: delay },
          "Streaming API call failed; reconnecting",
        );
        await sleep(delay, signal);
      }
    }
  }

  private async handshake(signal: AbortSignal): Promise<void> {
    const [r] = await this.post(
      [
        {
          channel: "/meta/handshake",
          version: "1.0",
          minimumVersion: "1.0",
          supportedConnectionTypes: ["long-polling"],
          ext: { replay: true, "payload.format": true },
        },
      ],
      signal,
    );
    if (!r?.successful) throw classify(r, "handshake");
    this.clientId = r.clientId ?? "";
  }

  private async subscribe(channel: string, replayId: number, signal: AbortSignal): Promise<void> {
    const replies = await this.post(
      [
        {
          channel: "/meta/subscribe",
          clientId: this.clientId,
          subscription: channel,
          ext: { replay: { [channel]: replayId } },
        },
      ],
      signal,
    );
    const r = replies.find((m) => m.channel === "/meta/subscribe");
    if (r?.successful) return;
    if (r?.error && /replayId/i.test(r.error))
      throw new ConnectorServerError(
        `The stored replay id ${replayId} of ${channel} is no longer retained by Salesforce (events after it expired, so they can't be delivered): ${r.error.replace(/^\d+::/, "")} Stop and start the flow to subscribe for new events only.`,
      );
    throw classify(r, `subscribe to ${channel}`);
  }

  private async connect(signal: AbortSignal): Promise<SourceEvent[]> {
    const replies = await this.post(
      [{ channel: "/meta/connect", clientId: this.clientId, connectionType: "long-polling" }],
      signal,
    );
    const events: SourceEvent[] = [];
    for (const m of replies) {
      if (m.channel === "/meta/connect") {
        if (!m.successful) throw classify(m, "connect");
        continue;
      }
      const replay = m.data?.event?.replayId;
      if (typeof replay === "number" && m.data?.payload) events.push(...toEvents(replay, m.data.payload));
    }
    return events;
  }

  private async post(body: Record<string, unknown>[], signal: AbortSignal): Promise<Reply[]> {
    this.token = await this.o.auth.accessToken(signal);
    let r: Response;
    try {
      r = await fetch(`${this.o.instanceUrl}/cometd/${this.o.apiVersion}`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
        body: JSON.stringify(body.map((m) => ({ ...m, id: String(++this.id) }))),
        signal,
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw new TransientError(`could not reach Salesforce at ${this.o.instanceUrl} (${String(e)})`);
    }
    if (r.status === 401 || r.status === 403) throw new SessionError(`HTTP ${r.status}`);
    if (!r.ok) throw new TransientError(`HTTP ${r.status} from the Streaming API`);
    return (await r.json()) as Reply[];
  }
}

class TransientError extends Error {}

function classify(r: Reply | undefined, what: string): Error {
  const error = r?.error ?? "no answer";
  if (/^401::|^403::Handshake denied/.test(error)) return new SessionError(error);
  if (r?.advice?.reconnect === "handshake" || /^403::Unknown client/.test(error))
    return new RehandshakeError(error);
  if (/^400::/.test(error))
    return new ConnectorServerError(`Salesforce refused to ${what}: ${error.slice(5)}`);
  return new TransientError(`${what}: ${error}`);
}

/** One record per changed record id: its fields, the header's change type and commit time, the replay id. */
function toEvents(replayId: number, payload: Record<string, unknown>): SourceEvent[] {
  const { ChangeEventHeader: h, ...fields } = payload as { ChangeEventHeader?: Record<string, unknown> };
  const ids = Array.isArray(h?.recordIds) ? (h.recordIds as string[]) : [];
  const base: SourceEvent["record"] = {};
  for (const [k, v] of Object.entries(fields)) {
    base[k] =
      v === null || ["string", "number", "boolean"].includes(typeof v) ? (v as string) : JSON.stringify(v);
  }
  const header = {
    ChangeType: String(h?.changeType ?? ""),
    EntityName: String(h?.entityName ?? ""),
    CommitTimestamp: typeof h?.commitTimestamp === "number" ? h.commitTimestamp : null,
    ReplayId: replayId,
  };
  return (ids.length > 0 ? ids : [null]).map((id) => ({
    replayId,
    record: { Id: id, ...base, ...header },
  }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

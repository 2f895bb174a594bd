/**
 * The Streaming API (CometD / Bayeux 1.0 over HTTP long-polling) for Change Data Capture channels.
 *
 * Why CometD and not the Pub/Sub API: CometD is plain HTTP + JSON, fully documented message by message,
 * so the fake needs no gRPC server, no .proto and no Avro codec (Pub/Sub would need @grpc/grpc-js, the
 * pubsub_api.proto and Avro schema encoding), and a connector can consume it with fetch alone.
 *
 * Docs: Streaming API Developer Guide — "Clients and Timeouts" (long-polling only; /meta/connect is
 * held up to 110 s; advice timeout/interval/reconnect), "Message Durability" and "Replay Events
 * Sample: Code Walkthrough" (the replay extension: `ext: {replay: {"<channel>": replayId}}` on
 * /meta/subscribe, handshake ext `{replay: true, "payload.format": true}`), "Handling Streaming API
 * Errors" (401::Authentication invalid with advice reconnect none on /meta/connect; 403::Handshake
 * denied with ext.sfdc.failureReason on /meta/handshake; 403::Unknown client with reconnect handshake),
 * "Streaming API Error Codes" (400 "The channel you requested to subscribe to doesn't exist"; the
 * invalid-replayId wording below is quoted from memory of that page — the stored copy we read was cut
 * short before that row). Endpoint: /cometd/NN.N (API 37.0 and later).
 */
import { randomBytes } from "node:crypto";
import type { EventBus, EventMessage } from "./events.ts";
import { type Ctx, jsonBody, sendJson } from "./http.ts";

type Msg = Record<string, unknown> & { channel?: string; id?: string; clientId?: string };

interface Client {
  subs: Set<string>;
  queue: EventMessage[];
  wake?: () => void;
}

export class CometD {
  private readonly clients = new Map<string, Client>();
  /** Events handed to clients in /meta/connect answers, over all clients. */
  sent = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly timeoutMs: () => number,
    private readonly maxPerConnect: () => number = () => 0,
  ) {
    bus.onEvent((_entity, m) => {
      for (const c of this.clients.values()) {
        for (const ch of c.subs) {
          if (ch === m.channel || ch === "/data/ChangeEvents") {
            c.queue.push({ ...m, channel: ch });
            c.wake?.();
          }
        }
      }
    });
  }

  /** Wakes every held /meta/connect (server shutdown). */
  closeAll(): void {
    for (const c of this.clients.values()) c.wake?.();
    this.clients.clear();
  }

  private advice(): Record<string, unknown> {
    return { interval: 0, timeout: this.timeoutMs(), reconnect: "retry" };
  }

  async handle(ctx: Ctx, authorized: boolean): Promise<void> {
    const body = jsonBody<Msg | Msg[]>(ctx);
    const msgs = Array.isArray(body) ? body : [body];
    const out: unknown[] = [];
    for (const m of msgs) out.push(...(await this.one(m, authorized)));
    sendJson(ctx, 200, out);
  }

  private async one(m: Msg, authorized: boolean): Promise<unknown[]> {
    const base = { channel: m.channel, id: m.id, ...(m.clientId ? { clientId: m.clientId } : {}) };
    if (m.channel === "/meta/handshake") {
      if (!authorized)
        return [
          {
            ...base,
            successful: false,
            error: "403::Handshake denied",
            advice: { reconnect: "none" },
            ext: { sfdc: { failureReason: "401::Authentication invalid" } },
          },
        ];
      const clientId = randomBytes(14).toString("base64url").toLowerCase();
      this.clients.set(clientId, { subs: new Set(), queue: [] });
      return [
        {
          ...base,
          clientId,
          version: "1.0",
          minimumVersion: "1.0",
          supportedConnectionTypes: ["long-polling"],
          successful: true,
          ext: { replay: true, "payload.format": true },
          advice: this.advice(),
        },
      ];
    }
    if (!authorized)
      return [
        {
          ...base,
          successful: false,
          error: "401::Authentication invalid",
          advice: { reconnect: "none", interval: 0 },
        },
      ];
    const client = m.clientId ? this.clients.get(m.clientId) : undefined;
    if (!client)
      return [
        {
          ...base,
          successful: false,
          error: "403::Unknown client",
          advice: { reconnect: "handshake", interval: 0 },
        },
      ];
    switch (m.channel) {
      case "/meta/connect":
        return this.connect(client, base);
      case "/meta/subscribe":
        return [this.subscribe(client, m, base)];
      case "/meta/unsubscribe":
        client.subs.delete(String(m.subscription));
        return [{ ...base, subscription: m.subscription, successful: true }];
      case "/meta/disconnect":
        this.clients.delete(m.clientId!);
        client.wake?.();
        return [{ ...base, successful: true }];
      default:
        return [
          {
            ...base,
            successful: false,
            error: `400::the fake Salesforce does not implement publishing to ${String(m.channel)}`,
          },
        ];
    }
  }

  private subscribe(client: Client, m: Msg, base: Record<string, unknown>): unknown {
    const sub = typeof m.subscription === "string" ? m.subscription : "";
    if (!sub) return { ...base, successful: false, error: "400::Channel name not specified" };
    if (!sub.startsWith("/"))
      return {
        ...base,
        subscription: sub,
        successful: false,
        error: "400::Channel subscriptions must start with a leading '/'",
      };
    if (!this.bus.channelExists(sub))
      return {
        ...base,
        subscription: sub,
        successful: false,
        error: `400::The channel you requested to subscribe to doesn't exist ${sub}`,
      };
    const ext = m.ext as { replay?: Record<string, unknown> } | undefined;
    const raw = ext?.replay?.[sub] ?? -1;
    const replayId = Number(raw);
    const events = this.bus.replay(sub, replayId);
    if (!events)
      return {
        ...base,
        subscription: sub,
        successful: false,
        error: `400::The replayId {${String(raw)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
      };
    client.subs.add(sub);
    client.queue.push(...events);
    return { ...base, subscription: sub, successful: true };
  }

  private async connect(client: Client, base: Record<string, unknown>): Promise<unknown[]> {
    if (client.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.timeoutMs());
        function done(): void {
          clearTimeout(timer);
          client.wake = undefined;
          resolve();
        }
        client.wake = done;
      });
    }
    const max = this.maxPerConnect();
    const events = client.queue.splice(0, max > 0 ? max : client.queue.length);
    this.sent += events.length;
    return [...events, { ...base, successful: true, advice: this.advice() }];
  }
}

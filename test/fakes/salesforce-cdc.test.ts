/**
 * The fake's Streaming API (CometD long-polling) delivers Change Data Capture events for changes made
 * after a subscription, resumes from a stored replay id without loss or repeats, replays all retained
 * events with -2, and refuses an expired replay id and an expired session as Salesforce documents.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakeSalesforce, startFakeSalesforce } from "./salesforce/server.ts";
import { refresh } from "./salesforce-client.ts";

type Msg = Record<string, unknown> & {
  channel: string;
  successful?: boolean;
  error?: string;
  clientId?: string;
};
interface Header {
  entityName: string;
  changeType: string;
  recordIds: string[];
  changedFields: string[];
  commitTimestamp: number;
}
type EventMsg = Msg & {
  data: { payload: Record<string, unknown> & { ChangeEventHeader: Header }; event: { replayId: number } };
};

class Bayeux {
  clientId = "";
  private n = 0;
  constructor(
    private readonly fake: FakeSalesforce,
    private readonly token: string,
  ) {}
  async send(...msgs: Record<string, unknown>[]): Promise<Msg[]> {
    const r = await fetch(`${this.fake.instanceUrl}/cometd/62.0`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify(
        msgs.map((m) => ({
          id: String(++this.n),
          ...(this.clientId ? { clientId: this.clientId } : {}),
          ...m,
        })),
      ),
    });
    assert.equal(r.status, 200);
    return (await r.json()) as Msg[];
  }
  async handshake(): Promise<Msg> {
    const [m] = await this.send({
      channel: "/meta/handshake",
      version: "1.0",
      supportedConnectionTypes: ["long-polling"],
    });
    if (m!.successful) this.clientId = String(m!.clientId);
    return m!;
  }
  async subscribe(channel: string, replayId: number): Promise<Msg> {
    const [m] = await this.send({
      channel: "/meta/subscribe",
      subscription: channel,
      ext: { replay: { [channel]: replayId } },
    });
    return m!;
  }
  /** One long-poll: the events it delivered (the connect reply itself checked and dropped). */
  async connect(): Promise<EventMsg[]> {
    const out = await this.send({ channel: "/meta/connect", connectionType: "long-polling" });
    const reply = out.at(-1)!;
    assert.equal(reply.channel, "/meta/connect");
    assert.equal(reply.successful, true);
    return out.slice(0, -1) as EventMsg[];
  }
  /** Long-polls until `n` events arrived (each poll is bounded by the fake's cometdTimeoutMs). */
  async events(n: number, polls = 20): Promise<EventMsg[]> {
    const got: EventMsg[] = [];
    for (let i = 0; i < polls && got.length < n; i++) got.push(...(await this.connect()));
    return got;
  }
}

describe("fake Salesforce: Change Data Capture over CometD", () => {
  let fake: FakeSalesforce;
  let token: string;
  before(async () => {
    fake = await startFakeSalesforce({ records: 3, cometdTimeoutMs: 300 });
    token = await refresh(fake);
  });
  after(() => fake.stop());

  test("changes after a subscription arrive as change events with a header and replay ids", async () => {
    const c = new Bayeux(fake, token);
    const hs = await c.handshake();
    assert.equal(hs.successful, true);
    assert.deepEqual(hs.supportedConnectionTypes, ["long-polling"]);
    assert.equal((await c.subscribe("/data/AccountChangeEvent", -1)).successful, true);
    assert.deepEqual(await c.connect(), [], "nothing happened yet");
    const id = fake.insert("Account", { Name: "Evented", NumberOfEmployees: 7 });
    fake.update("Account", id, { Name: "Evented again" });
    fake.insert("Contact", { LastName: "Not on this channel" });
    fake.delete("Account", id);
    const events = await c.events(3);
    assert.deepEqual(
      events.map((e) => e.data.payload.ChangeEventHeader.changeType),
      ["CREATE", "UPDATE", "DELETE"],
    );
    for (const e of events) {
      assert.equal(e.channel, "/data/AccountChangeEvent");
      assert.equal(e.data.payload.ChangeEventHeader.entityName, "Account");
      assert.deepEqual(e.data.payload.ChangeEventHeader.recordIds, [id]);
      assert.equal(typeof e.data.payload.ChangeEventHeader.commitTimestamp, "number");
    }
    assert.equal(events[0]!.data.payload.Name, "Evented");
    assert.equal(events[0]!.data.payload.NumberOfEmployees, 7);
    assert.deepEqual(events[1]!.data.payload.ChangeEventHeader.changedFields, ["Name", "LastModifiedDate"]);
    assert.equal(events[1]!.data.payload.Name, "Evented again");
    const ids = events.map((e) => e.data.event.replayId);
    assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, "replay ids increase");
  });

  test("resubscribing with a stored replay id resumes exactly after it; -2 replays all retained", async () => {
    const first = new Bayeux(fake, token);
    await first.handshake();
    await first.subscribe("/data/ContactChangeEvent", -1);
    const a = fake.insert("Contact", { LastName: "One" });
    const [seen] = await first.events(1);
    const stored = seen!.data.event.replayId;
    await first.send({ channel: "/meta/disconnect" });

    fake.update("Contact", a, { LastName: "Two" });
    fake.insert("Contact", { LastName: "Three" });
    const second = new Bayeux(fake, token);
    await second.handshake();
    assert.equal((await second.subscribe("/data/ContactChangeEvent", stored)).successful, true);
    const resumed = await second.events(2);
    assert.deepEqual(
      resumed.map((e) => [e.data.payload.ChangeEventHeader.changeType, e.data.payload.LastName]),
      [
        ["UPDATE", "Two"],
        ["CREATE", "Three"],
      ],
    );
    assert.deepEqual(await second.connect(), [], "no repeats");

    const all = new Bayeux(fake, token);
    await all.handshake();
    await all.subscribe("/data/ContactChangeEvent", -2);
    const replayed = await all.events(4);
    assert.ok(replayed.length >= 4);
    assert.ok(replayed.every((e) => e.data.payload.ChangeEventHeader.entityName === "Contact"));
  });

  test("an expired replay id, an unknown channel and an expired session are refused", async () => {
    const c = new Bayeux(fake, token);
    await c.handshake();
    await c.subscribe("/data/OpportunityChangeEvent", -1);
    const opp = { Name: "Deal", CloseDate: "2026-02-01", StageName: "Prospecting" };
    fake.insert("Opportunity", opp);
    const [old] = await c.events(1);
    fake.insert("Opportunity", opp);
    fake.insert("Opportunity", opp);
    fake.expireEvents(1);
    const late = new Bayeux(fake, token);
    await late.handshake();
    const refused = await late.subscribe("/data/OpportunityChangeEvent", old!.data.event.replayId);
    assert.equal(refused.successful, false);
    assert.equal(
      refused.error,
      `400::The replayId {${old!.data.event.replayId}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
    );
    const unknown = await late.subscribe("/data/NopeChangeEvent", -1);
    assert.equal(
      unknown.error,
      "400::The channel you requested to subscribe to doesn't exist /data/NopeChangeEvent",
    );

    fake.expireAccessTokens(token);
    const [denied] = await new Bayeux(fake, token).send({ channel: "/meta/handshake", version: "1.0" });
    assert.equal(denied!.successful, false);
    assert.equal(denied!.error, "403::Handshake denied");
    const [connect] = await c.send({ channel: "/meta/connect", connectionType: "long-polling" });
    assert.equal(connect!.error, "401::Authentication invalid");
    token = await refresh(fake);
  });
});

/**
 * The event bus behind Change Data Capture: every committed record change becomes a change event with a
 * replay id, kept for a retention window (by age and by count) so subscribers can resume.
 *
 * Docs: Change Data Capture Developer Guide, "Change Event Message Structure" (data.schema,
 * data.payload.ChangeEventHeader + changed fields, data.event.replayId, channel /data/<Object>ChangeEvent
 * or /data/ChangeEvents), "ChangeEventHeader Fields" (entityName, recordIds, changeType CREATE / UPDATE /
 * DELETE / UNDELETE, changeOrigin, transactionKey, sequenceNumber, commitTimestamp, commitNumber,
 * commitUser, changedFields, diffFields, nulledFields), "Change Event Fields" (IsDeleted and
 * SystemModstamp are not included); Streaming API Developer Guide, "Message Durability" (replay ids are
 * opaque and not contiguous, events kept 72 hours, -1 = new events only, -2 = all retained events).
 */
import { randomUUID } from "node:crypto";
import type { Org, RecordChange } from "./org.ts";
import { formatCsv } from "./values.ts";

export interface EventMessage {
  channel: string;
  data: { schema: string; payload: Record<string, unknown>; event: { replayId: number } };
}

interface Stored {
  replayId: number;
  entity: string;
  at: number;
  message: EventMessage;
}

export const channelFor = (entity: string): string =>
  `/data/${entity.endsWith("__c") ? `${entity.slice(0, -1)}ChangeEvent` : `${entity}ChangeEvent`}`;

export class EventBus {
  private events: Stored[] = [];
  private lastReplayId = 0;
  /** The replay id of the newest event dropped from retention (0 when none was). */
  private purgedUpTo = 0;
  private commitNumber = 1_000_000;
  private readonly listeners: ((m: Stored) => void)[] = [];

  constructor(
    private readonly org: Org,
    private readonly userId: string,
    private readonly apiVersion: () => string,
    private readonly retention: () => { ms: number; count: number },
  ) {
    org.onChange((c) => this.publish(c));
  }

  onEvent(l: (entity: string, m: EventMessage) => void): void {
    this.listeners.push((s) => l(s.entity, s.message));
  }

  /** Channels a client may subscribe to: one per object, and the all-objects channel. */
  channelExists(channel: string): boolean {
    if (channel === "/data/ChangeEvents") return true;
    return [...this.org.objects.values()].some((o) => channelFor(o.name) === channel);
  }

  private publish(c: RecordChange): void {
    const o = this.org.object(c.entityName)!;
    const payload: Record<string, unknown> = {
      ChangeEventHeader: {
        entityName: c.entityName,
        recordIds: [c.recordId],
        changeType: c.changeType,
        changeOrigin: `com/salesforce/api/${c.origin}/${this.apiVersion()};client=sluice-fake`,
        transactionKey: randomUUID(),
        sequenceNumber: 1,
        commitTimestamp: c.commitTimestamp,
        commitNumber: ++this.commitNumber,
        commitUser: this.userId,
        changedFields: c.changedFields,
        diffFields: [],
        nulledFields:
          c.changeType === "UPDATE" ? Object.keys(c.fields).filter((k) => c.fields[k] === null) : [],
      },
    };
    for (const [k, v] of Object.entries(c.fields)) {
      const fd = o.fields.find((f) => f.name === k);
      if (!fd || k === "Id") continue;
      payload[k] = fd.type === "datetime" && typeof v === "number" ? formatCsv(fd, v) : v;
    }
    // Not contiguous on purpose (the docs say clients must not compute replay ids).
    this.lastReplayId += 1 + (this.lastReplayId % 3);
    const stored: Stored = {
      replayId: this.lastReplayId,
      entity: c.entityName,
      at: c.commitTimestamp,
      message: {
        channel: channelFor(c.entityName),
        data: { schema: `fake-${o.keyPrefix}-schema`, payload, event: { replayId: this.lastReplayId } },
      },
    };
    this.events.push(stored);
    this.trim(c.commitTimestamp);
    for (const l of this.listeners) l(stored);
  }

  /** Drops events past the retention window; `keepLast` forces it (tests: "these events expired"). */
  trim(now: number, keepLast?: number): void {
    const { ms, count } = this.retention();
    const keep = Math.min(count, keepLast ?? Number.POSITIVE_INFINITY);
    while (this.events.length > 0 && (this.events.length > keep || this.events[0]!.at < now - ms)) {
      this.purgedUpTo = this.events.shift()!.replayId;
    }
  }

  latestReplayId(): number {
    return this.lastReplayId;
  }

  retained(): EventMessage[] {
    return this.events.map((e) => e.message);
  }

  /**
   * Events on `channel` after `replayId` (-1: none, -2: all retained); undefined when that replay id is
   * outside the retention window (events after it were lost) or was never issued.
   */
  replay(channel: string, replayId: number): EventMessage[] | undefined {
    const on = (e: Stored): boolean => channel === "/data/ChangeEvents" || e.message.channel === channel;
    if (replayId === -1) return [];
    if (replayId === -2) return this.events.filter(on).map((e) => ({ ...e.message, channel }));
    if (!Number.isInteger(replayId) || replayId < this.purgedUpTo || replayId > this.lastReplayId)
      return undefined;
    return this.events.filter((e) => on(e) && e.replayId > replayId).map((e) => ({ ...e.message, channel }));
  }
}

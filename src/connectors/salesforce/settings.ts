/** The Salesforce connector's server settings: how event-triggered flows batch change events. */
import type { Setting } from "../../config-setting.ts";
import { int, ms } from "../../config-setting.ts";
import type { ConnectorEnvironment } from "../types.ts";

export const EVENT_BATCH_DEFAULTS = { maxEvents: 1000, maxMs: 5_000, maxBuffered: 10_000 };

// biome-ignore format: one line per setting
export const salesforceSettings: Record<string, Setting> = {
  eventBatchEvents: { env: ["SLUICE_SALESFORCE_EVENT_BATCH_EVENTS"], default: EVENT_BATCH_DEFAULTS.maxEvents, ...int(1, 100_000), doc: "an event flow delivers a batch (one run) once this many change events are buffered" },
  eventBatchMs: { env: ["SLUICE_SALESFORCE_EVENT_BATCH_MS"], default: EVENT_BATCH_DEFAULTS.maxMs, ...ms(100), doc: "… or this long after the batch's first event arrived" },
  eventBufferEvents: { env: ["SLUICE_SALESFORCE_EVENT_BUFFER_EVENTS"], default: EVENT_BATCH_DEFAULTS.maxBuffered, ...int(1, 10_000_000), doc: "change events held undelivered (destination down) before an event flow stops reading" },
};

export function readEventBatching(env: ConnectorEnvironment): {
  maxEvents: number;
  maxMs: number;
  maxBuffered: number;
} {
  const v = env.connectors?.Salesforce ?? {};
  const num = (k: string, d: number) => (typeof v[k] === "number" ? (v[k] as number) : d);
  return {
    maxEvents: num("eventBatchEvents", EVENT_BATCH_DEFAULTS.maxEvents),
    maxMs: num("eventBatchMs", EVENT_BATCH_DEFAULTS.maxMs),
    maxBuffered: num("eventBufferEvents", EVENT_BATCH_DEFAULTS.maxBuffered),
  };
}

/** restJson1 output: null and undefined members are omitted; timestamps are already epoch seconds. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v === null ? undefined : v));
}

/** Epoch milliseconds → the epoch-seconds number restJson1 uses for timestamps. */
export function epochSeconds(ms: number | null | undefined): number | undefined {
  return ms === null || ms === undefined ? undefined : ms / 1000;
}

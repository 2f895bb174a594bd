/**
 * An output already written as restJson1 text (the hot list pages, built by the database): sent as
 * it is. Whoever builds one answers for it following toWireJson's rules.
 */
export class WireJson {
  constructor(readonly text: string) {}
}

/** restJson1 output: null and undefined members are omitted; timestamps are already epoch seconds. */
export function toWireJson(value: unknown): string {
  if (value instanceof WireJson) return value.text;
  // A replacer takes JSON.stringify off V8's fast path (a page of 100 records pays it per member). Most
  // outputs hold no null at all: serialize plainly, and only when "null" appears anywhere (a null
  // member, or just a string containing the word) serialize again dropping null members.
  const plain = JSON.stringify(value);
  return plain.includes("null") ? JSON.stringify(value, (_k, v) => (v === null ? undefined : v)) : plain;
}

/** Epoch milliseconds → the epoch-seconds number restJson1 uses for timestamps. */
export function epochSeconds(ms: number | null | undefined): number | undefined {
  return ms === null || ms === undefined ? undefined : ms / 1000;
}

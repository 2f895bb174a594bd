/**
 * Salesforce record ids for the fake: a 15-character case-sensitive id (3-character key prefix of the
 * object, then a base-62 counter) and its 18-character case-insensitive form (3 checksum characters).
 *
 * Docs: "What's an 18-character ID?" / REST API Developer Guide, "Working with Record IDs" — the 18-char
 * suffix encodes, for each 5-character chunk, which characters are upper case (A–Z), as an index into
 * "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".
 */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

export function base62(n: number): string {
  let out = "";
  let v = Math.floor(n);
  do {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  } while (v > 0);
  return out;
}

/** The 3-character checksum that turns a 15-character id into an 18-character one. */
export function idSuffix(id15: string): string {
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let mask = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i] ?? "0";
      if (c >= "A" && c <= "Z") mask |= 1 << i;
    }
    suffix += SUFFIX[mask];
  }
  return suffix;
}

export function to18(id15: string): string {
  return id15 + idSuffix(id15);
}

/** A new 18-character id: key prefix + pod marker + counter, padded to 15 characters, plus checksum. */
export function makeId(keyPrefix: string, counter: number): string {
  const body = `${keyPrefix}gK${base62(counter).padStart(10, "0")}`;
  return to18(body);
}

const ID_RE = /^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/;

/** Normalises a 15- or 18-character id to its 18-character form; undefined when malformed. */
export function normaliseId(id: string): string | undefined {
  if (!ID_RE.test(id)) return undefined;
  const id15 = id.slice(0, 15);
  const full = to18(id15);
  if (id.length === 18 && id.slice(15).toUpperCase() !== full.slice(15)) return undefined;
  return full;
}

/** Opaque page tokens: base64url JSON of the keyset position. A token that doesn't decode is a ValidationException. */
import { ValidationError } from "../../domain/errors.ts";

export function encodeToken(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...position })).toString("base64url");
}

export function decodeToken<T extends Record<string, string | number>>(
  token: string | undefined,
  keys: Record<keyof T, "string" | "number">,
): T | undefined {
  if (token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new ValidationError("nextToken: is not a token this server issued");
  }
  const obj = parsed as Record<string, unknown> | null;
  if (obj?.v !== 1) throw new ValidationError("nextToken: is not a token this server issued");
  for (const [k, t] of Object.entries(keys)) {
    if (typeof obj[k] !== t) throw new ValidationError("nextToken: is not a token this server issued");
  }
  return obj as T;
}

/**
 * One page of an in-memory list (connector types, entities), keyset-paged by `keyOf` in sorted order.
 * The token names the operation and the request it belongs to (`scope`): a token from another
 * operation or for other parameters is refused, as a foreign one is.
 */
export function pageOf<T>(
  items: T[],
  keyOf: (item: T) => string,
  input: { maxResults?: number; nextToken?: string },
  op: string,
  scope = "",
): { page: T[]; nextToken?: string } {
  const limit = input.maxResults ?? 20;
  const at = decodeToken<{ op: string; s: string; a: string }>(input.nextToken, {
    op: "string",
    s: "string",
    a: "string",
  });
  if (at && (at.op !== op || at.s !== scope))
    throw new ValidationError("nextToken: was issued for a different request");
  const sorted = [...items].sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : keyOf(x) > keyOf(y) ? 1 : 0));
  const rest = at ? sorted.filter((i) => keyOf(i) > at.a) : sorted;
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  const more = rest.length > limit && last !== undefined;
  return { page, nextToken: more ? encodeToken({ op, s: scope, a: keyOf(last) }) : undefined };
}

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

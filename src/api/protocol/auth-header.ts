/**
 * Parsing of the SigV4 `Authorization` header and the `x-amz-date` header. Kept apart from the signature
 * check so that every "malformed" answer (400 IncompleteSignatureException) is decided here, before any
 * key lookup or crypto happens.
 */
import { AuthenticationError } from "../../domain/errors.ts";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

export interface ParsedAuthorization {
  accessKeyId: string;
  /** YYYYMMDD from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  /** Lower-case names, in the order the client listed them. */
  signedHeaders: string[];
  /** The hex signature the client sent. */
  signature: string;
}

function incomplete(message: string): AuthenticationError {
  return new AuthenticationError("IncompleteSignatureException", 400, message);
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/appflow/aws4_request, SignedHeaders=a;b,
 * Signature=hex`. boto3 and the JS SDK both write exactly this shape; we also accept extra whitespace and
 * any parameter order, as AWS does.
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw incomplete(
      `Unsupported authorization algorithm '${algorithm}': only ${SIGV4_ALGORITHM} is accepted. Authorization=${trimmed}`,
    );
  }
  const params = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq <= 0) {
      throw incomplete(
        `'${item}' not a valid key=value pair (missing equal-sign) in Authorization header: '${trimmed}'.`,
      );
    }
    params.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((name) => !params.get(name));
  if (missing.length > 0) {
    const parts = missing.map((name) => `Authorization header requires '${name}' parameter.`);
    throw incomplete(`${parts.join(" ")} Authorization=${trimmed}`);
  }
  const credential = params.get("Credential") ?? "";
  const scope = credential.split("/");
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !scopeDate || !region || !service || !terminator) {
    throw incomplete(
      `Credential should be of the form <accessKeyId>/<date>/<region>/<service>/aws4_request, not '${credential}'.`,
    );
  }
  if (terminator !== "aws4_request") {
    throw incomplete(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
    );
  }
  if (!/^\d{8}$/.test(scopeDate)) {
    throw incomplete(`Credential should be scoped to a valid date (YYYYMMDD), not '${scopeDate}'.`);
  }
  const signedHeaders = (params.get("SignedHeaders") ?? "").split(";").map((h) => h.trim().toLowerCase());
  if (signedHeaders.some((h) => h === "")) {
    throw incomplete(`SignedHeaders must be a ';'-separated list of header names. Authorization=${trimmed}`);
  }
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders,
    signature: params.get("Signature") ?? "",
  };
}

/** Parses the ISO-8601 basic form `YYYYMMDDTHHMMSSZ` that SigV4 uses; undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC silently rolls 20240230 over to March; reject such values instead of trusting them.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return date;
}

/** Formats a Date back to `YYYYMMDDTHHMMSSZ` (used in the "Signature expired" messages AWS writes). */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

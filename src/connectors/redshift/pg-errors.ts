/**
 * PostgreSQL-protocol errors (Redshift and PostgreSQL) mapped into the SDK's failure classes
 * (sdk/failures.ts), by SQLSTATE class or socket error code. Messages are built from structured
 * fields: the SQLSTATE and the server's primary message (never its DETAIL, which can hold row values,
 * and never anything from the profile's credentials), or a fixed description of a socket error.
 */
import { ConnectorAuthenticationError, ConnectorServerError } from "../../domain/errors.ts";
import { RecordsRejectedError, RetryableBatchError } from "../sdk/failures.ts";

export type PgFailureKind = "record" | "retryable" | "authentication" | "server";

const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while writing",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

function sqlstate(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function socketCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && code in SOCKET_CODES ? code : undefined;
}

/** node-postgres reports a socket closed under it with these messages and no code. */
function connectionLost(e: unknown): boolean {
  const m = e instanceof Error ? e.message : "";
  return /^Connection terminated/.test(m) || /connection error|timeout expired/i.test(m);
}

export function classifyPg(e: unknown): PgFailureKind {
  const state = sqlstate(e);
  if (state) {
    const cls = state.slice(0, 2);
    if (cls === "22" || cls === "23") return "record"; // data exception, integrity constraint violation
    if (cls === "28") return "authentication";
    // connection exception, operator intervention (admin shutdown, 57P01), insufficient resources,
    // internal error, and serialization failure / deadlock (the transaction was rolled back).
    if (["08", "57", "53", "XX", "40"].includes(cls)) return "retryable";
    return "server";
  }
  if (socketCode(e) || connectionLost(e)) return "retryable";
  return "server";
}

/** What happened, from structured fields only. */
export function describePg(e: unknown): string {
  const state = sqlstate(e);
  if (state) {
    const msg = e instanceof Error ? e.message : "";
    return `${msg} (SQLSTATE ${state})`;
  }
  const sock = socketCode(e);
  if (sock) return `${SOCKET_CODES[sock]} (${sock})`;
  if (connectionLost(e)) return "the connection to the database was lost";
  return e instanceof Error && e.name === "AbortError" ? "aborted" : "unexpected database client error";
}

/** The SDK error for a failed batch statement: `what` says which batch, `where` the database. */
export function batchError(e: unknown, what: string, where: string): Error {
  const detail = `${what} at ${where}: ${describePg(e)}`;
  switch (classifyPg(e)) {
    case "record":
      return new RecordsRejectedError(`The database rejected ${detail}`);
    case "retryable":
      return new RetryableBatchError(`Lost ${detail}`);
    case "authentication":
      return new ConnectorAuthenticationError(`Authentication failed for ${detail}`);
    default:
      return new ConnectorServerError(`Database error for ${detail}`);
  }
}

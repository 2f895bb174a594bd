/**
 * Connecting to Redshift (or PostgreSQL) over the PostgreSQL wire protocol: the profile's databaseUrl
 * (`jdbc:redshift://host:port/db` or `postgres://host:port/db`) plus credentials.username/password.
 * Errors are mapped to connector errors here (pg-errors.ts), and no message ever carries the password.
 */
import { createRequire } from "node:module";
import type pg from "pg";
import { ConnectorAuthenticationError, ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import type { ResolvedProfile } from "../types.ts";
import { classifyPg, describePg } from "./pg-errors.ts";

export interface ConnectionTarget {
  config: pg.ClientConfig;
  /** host:port/database, for messages. */
  label: string;
}

export function connectionTarget(profile: ResolvedProfile): ConnectionTarget {
  const raw = profile.properties.databaseUrl;
  if (typeof raw !== "string" || raw === "") {
    throw new ValidationError("connectorProfileProperties.Redshift.databaseUrl is required");
  }
  const normalized = raw
    .replace(/^jdbc:redshift:\/\//i, "postgres://")
    .replace(/^postgresql:\/\//i, "postgres://");
  let url: URL;
  try {
    url = new URL(normalized);
  } catch {
    throw new ValidationError("databaseUrl must look like jdbc:redshift://host:port/database");
  }
  if (url.protocol !== "postgres:" || !url.hostname) {
    throw new ValidationError("databaseUrl must look like jdbc:redshift://host:port/database");
  }
  const creds = profile.credentials;
  const user = typeof creds.username === "string" ? creds.username : decodeURIComponent(url.username);
  const password = typeof creds.password === "string" ? creds.password : decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "dev";
  const port = url.port ? Number(url.port) : 5439;
  const sslMode = url.searchParams.get("sslmode") ?? url.searchParams.get("ssl");
  const ssl = sslMode === "require" || sslMode === "true" ? { rejectUnauthorized: false } : undefined;
  return {
    config: { host: url.hostname, port, database, user, password, ssl, connectionTimeoutMillis: 15_000 },
    label: `${url.hostname}:${port}/${database}`,
  };
}

/**
 * Opens a connection, mapping failures: bad credentials → ConnectorAuthenticationError, else server
 * error. An abort answers at once with its reason. pg's `end()` on a client that is still connecting
 * leaves that client's connect() pending forever (pg 8.x, even past connectionTimeoutMillis), so the
 * abort is not turned into `end()`: the wait is abandoned, and the client is closed once its connect
 * settles (connectionTimeoutMillis bounds that).
 */
let pgModule: typeof pg | undefined;
/** pg (~10 MB per thread) is loaded by the first connection: most servers and runs never open one. */
const pgLib = (): typeof pg => {
  pgModule ??= createRequire(import.meta.url)("pg") as typeof pg;
  return pgModule;
};

export async function connect(target: ConnectionTarget, signal: AbortSignal): Promise<pg.Client> {
  signal.throwIfAborted();
  const client = new (pgLib().Client)(target.config);
  client.on("error", () => {}); // a dropped connection surfaces through the pending query instead
  const connecting = client.connect();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([connecting, aborted]);
    return client;
  } catch (e) {
    void connecting.then(
      () => client.end().catch(() => {}),
      () => client.end().catch(() => {}),
    );
    if (signal.aborted) throw signal.reason;
    throw connectionError(e, target);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * A failed connection or connection test as a connector error. The message is built from structured
 * fields (SQLSTATE and the server's message, or the socket error), never from text with secrets masked.
 */
export function connectionError(e: unknown, target: ConnectionTarget): Error {
  const user = target.config.user ?? "";
  const what = describePg(e);
  switch (classifyPg(e)) {
    case "authentication":
      return new ConnectorAuthenticationError(
        `Authentication failed for user "${user}" at ${target.label}: ${what}`,
      );
    case "retryable":
      return new ConnectorServerError(`Could not reach the database at ${target.label}: ${what}`);
    default:
      return new ConnectorServerError(`Database error at ${target.label}: ${what}`);
  }
}

/** `schema.table` → its parts (schema defaults to public); surrounding double quotes are removed. */
export function parseObjectName(object: string): { schema: string; table: string } {
  const unquote = (s: string) =>
    s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1).replaceAll('""', '"') : s;
  const m = /^("(?:[^"]|"")+"|[^."]+)(?:\.("(?:[^"]|"")+"|[^."]+))?$/.exec(object.trim());
  if (!m) throw new ValidationError(`Redshift object "${object}" must be schema.table`);
  return m[2] === undefined
    ? { schema: "public", table: unquote(m[1]!) }
    : { schema: unquote(m[1]!), table: unquote(m[2]) };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

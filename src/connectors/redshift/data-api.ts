/**
 * The Redshift Data API (ExecuteStatement → DescribeStatement until FINISHED/FAILED/ABORTED →
 * GetStatementResult), for profiles that name a clusterIdentifier or workgroupName instead of a
 * databaseUrl. Errors are mapped into the SDK's classes: throttling, 5xx and connection failures are
 * retryable; signature/credential failures are authentication; a FAILED statement carries the
 * database's message.
 */
import { createRequire } from "node:module";
import type {
  DescribeStatementCommandOutput,
  Field,
  RedshiftDataClient,
  SqlParameter,
} from "@aws-sdk/client-redshift-data";
import { ConnectorAuthenticationError, ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import { RetryableBatchError, sleepFor } from "../sdk/failures.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../types.ts";
import { readRedshiftSettings } from "./settings.ts";

type DataApiSdk = typeof import("@aws-sdk/client-redshift-data");
let loaded: DataApiSdk | undefined;
/** Loaded by the first Data API client (~10 MB per thread): most servers and runs never need it. */
function sdk(): DataApiSdk {
  loaded ??= createRequire(import.meta.url)("@aws-sdk/client-redshift-data") as DataApiSdk;
  return loaded;
}

export interface DataApiTarget {
  client: RedshiftDataClient;
  base: { ClusterIdentifier?: string; WorkgroupName?: string; Database: string; DbUser?: string };
  /** cluster/workgroup and database, for messages. */
  label: string;
}

export function usesDataApi(profile: ResolvedProfile): boolean {
  return typeof profile.properties.databaseUrl !== "string";
}

const clients = new Map<string, RedshiftDataClient>();

/** One client per endpoint/region/credentials, reused by every run. */
function clientFor(env: ConnectorEnvironment): RedshiftDataClient {
  const o = readRedshiftSettings(env).dataApi;
  const region = o.region ?? env.s3.region ?? process.env.AWS_REGION ?? "us-east-1";
  const id = JSON.stringify([o.endpoint, region, o.accessKeyId]);
  let c = clients.get(id);
  if (!c) {
    c = new (sdk().RedshiftDataClient)({
      region,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.accessKeyId && o.secretAccessKey
        ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
        : {}),
      maxAttempts: 3,
    });
    clients.set(id, c);
  }
  return c;
}

/**
 * Closes every Data API client's keep-alive sockets (server shutdown), as closeObjectStores() does for
 * S3. A target still held keeps working: the SDK opens new sockets on its next call.
 */
export function closeDataApiClients(): void {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}

export function dataApiTarget(profile: ResolvedProfile, env: ConnectorEnvironment): DataApiTarget {
  const p = profile.properties;
  const str = (k: string) => (typeof p[k] === "string" && p[k] !== "" ? (p[k] as string) : undefined);
  const cluster = str("clusterIdentifier");
  const workgroup = str("workgroupName");
  const serverless = p.isRedshiftServerless === true || (workgroup !== undefined && cluster === undefined);
  if (serverless ? !workgroup : !cluster) {
    throw new ValidationError(
      "connectorProfileProperties.Redshift: give databaseUrl, or clusterIdentifier (provisioned) or workgroupName (isRedshiftServerless) for the Redshift Data API",
    );
  }
  const database = str("databaseName") ?? "dev";
  const user = profile.credentials.username;
  return {
    client: clientFor(env),
    base: serverless
      ? { WorkgroupName: workgroup, Database: database }
      : {
          ClusterIdentifier: cluster,
          Database: database,
          ...(typeof user === "string" && user ? { DbUser: user } : {}),
        },
    label: `${serverless ? `workgroup ${workgroup}` : `cluster ${cluster}`}/${database}`,
  };
}

/** Maps a Data API call's failure (not a FAILED statement) into the SDK's classes. */
export function callError(e: unknown, t: DataApiTarget, what: string): Error {
  if ((e as Error)?.name === "AbortError") return e as Error;
  const name = (e as { name?: string }).name ?? "Error";
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = (e as { message?: string }).message ?? "";
  const detail = `${what} at ${t.label}: ${name}${message ? `: ${message}` : ""}`;
  if (
    /^(UnrecognizedClient|InvalidSignature|IncompleteSignature|MissingAuthenticationToken|ExpiredToken|AccessDenied|SignatureDoesNotMatch|InvalidClientTokenId)/.test(
      name,
    )
  ) {
    return new ConnectorAuthenticationError(`The Redshift Data API refused the credentials for ${detail}`);
  }
  const transport =
    status === undefined ||
    status >= 500 ||
    /^(Throttling|TooManyRequests|ActiveStatementsExceeded|ActiveSessionsExceeded|DatabaseConnection|InternalServer|ServiceUnavailable)/.test(
      name,
    );
  return transport
    ? new RetryableBatchError(`Failed ${detail}`)
    : new ConnectorServerError(`Failed ${detail}`);
}

export interface StatementOutcome {
  id: string;
  status: "FINISHED" | "FAILED" | "ABORTED";
  error?: string;
  resultRows?: number;
  hasResultSet: boolean;
}

/**
 * Submits one statement and waits for it to end (polling with backoff). If `signal` aborts while the
 * statement runs, it is cancelled (CancelStatement) and the abort reason thrown.
 */
export async function runStatement(
  t: DataApiTarget,
  sql: string,
  signal: AbortSignal,
  opts: { parameters?: SqlParameter[]; clientToken?: string; what: string },
): Promise<StatementOutcome> {
  let id: string;
  try {
    const r = await t.client.send(
      new (sdk().ExecuteStatementCommand)({
        ...t.base,
        Sql: sql,
        ...(opts.parameters?.length ? { Parameters: opts.parameters } : {}),
        ...(opts.clientToken ? { ClientToken: opts.clientToken } : {}),
      }),
      { abortSignal: signal },
    );
    id = r.Id!;
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw callError(e, t, opts.what);
  }
  let delay = 50;
  for (;;) {
    if (signal.aborted) {
      await t.client.send(new (sdk().CancelStatementCommand)({ Id: id })).catch(() => {});
      throw signal.reason;
    }
    let d: DescribeStatementCommandOutput;
    try {
      d = await t.client.send(new (sdk().DescribeStatementCommand)({ Id: id }), { abortSignal: signal });
    } catch (e) {
      if (signal.aborted) continue; // cancel it above
      throw callError(e, t, opts.what);
    }
    if (d.Status === "FINISHED" || d.Status === "FAILED" || d.Status === "ABORTED") {
      return {
        id,
        status: d.Status,
        error: d.Error,
        resultRows: d.ResultRows,
        hasResultSet: d.HasResultSet === true,
      };
    }
    // An abort ends the wait; the loop's top then cancels the statement.
    await sleepFor(delay, signal).catch(() => {});
    delay = Math.min(2000, delay * 2);
  }
}

/** Runs a query and returns its rows (every page of GetStatementResult), values as JS scalars. */
export async function queryRows(
  t: DataApiTarget,
  sql: string,
  parameters: SqlParameter[],
  signal: AbortSignal,
  what: string,
): Promise<Record<string, string | number | boolean | null>[]> {
  const done = await runStatement(t, sql, signal, { parameters, what });
  if (done.status !== "FINISHED") {
    throw new ConnectorServerError(`${what} at ${t.label} ${done.status.toLowerCase()}: ${done.error ?? ""}`);
  }
  const out: Record<string, string | number | boolean | null>[] = [];
  let token: string | undefined;
  do {
    const r = await t.client
      .send(new (sdk().GetStatementResultCommand)({ Id: done.id, NextToken: token }), { abortSignal: signal })
      .catch((e: unknown) => {
        throw callError(e, t, what);
      });
    const names = (r.ColumnMetadata ?? []).map((c) => c.name ?? "");
    for (const rec of r.Records ?? []) {
      const row: Record<string, string | number | boolean | null> = {};
      rec.forEach((f, i) => {
        row[names[i] ?? String(i)] = fieldValue(f);
      });
      out.push(row);
    }
    token = r.NextToken;
  } while (token);
  return out;
}

function fieldValue(f: Field): string | number | boolean | null {
  if (f.isNull) return null;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.stringValue !== undefined) return f.stringValue;
  return null;
}

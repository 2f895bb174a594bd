/**
 * Server settings: flags override environment variables, which override defaults. Every setting is one
 * entry in `settings` (its flag, env, default, allowed values and doc) and is validated at start, as the
 * API validates requests: a bad value stops the server with a message naming the setting and what it
 * allows, before anything is created on disk.
 */
import { resolve } from "node:path";
import type { ThrottleConfig } from "./api/protocol/throttle.ts";
import { int, list, ms, oneOf, type Setting, secret, text, url } from "./config-setting.ts";
import { connectorSettings } from "./connectors/registry.ts";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  pgSchema?: string;
  credentialsFile?: string;
  masterKey?: string;
  logLevel: string;
  /** `pretty` (human-readable) or `json`; `auto` is resolved at start: pretty on a TTY, else JSON. */
  logFormat: "auto" | "pretty" | "json";
  s3: { endpoint?: string; accessKeyId?: string; secretAccessKey?: string; region?: string } & S3Limits;
  engine: {
    workers: number;
    leaseMs: number;
    heartbeatMs: number;
    reapIntervalMs: number;
    pollMs: number;
    /** How long a cancelled run may take to reach a safe point before its I/O is aborted outright. */
    cancelGraceMs: number;
    /** After the grace period and this much more, the run is recorded Canceled whatever its worker does. */
    cancelForceMs: number;
    maxRunMs: number;
    /** How often the scheduler looks for scheduled flows that are due. */
    schedulerTickMs: number;
    /** How often an event flow's "AppFlow Event Flow Report" is emitted (windows aligned to the epoch). */
    eventFlowReportMs: number;
    batchRows: number;
    redshiftBatchRows: number;
    sourceParallelism: number;
    parseThreads: number;
    /** Linux nice value of run threads: the API and the run control go first when the cores are busy. */
    runNice: number;
    /** Old-space limit of one run's thread (MB). */
    runHeapMb: number;
  };
  limits: { maxFlowsPerAccount: number; maxActiveRunsPerAccount: number; idempotencyMs: number };
  /** Memory for answers of hot read operations, kept until the next store write (SQLite only; 0: none). */
  apiCacheMb: number;
  webhooks: string[];
  /** API rate limits (token buckets per account and operation); see api/protocol/throttle.ts. */
  throttle: Partial<ThrottleConfig>;
  /** Each connector's own settings (declared in its folder), by connector type. */
  connectors?: Record<string, Record<string, unknown>>;
}

/** S3 connector limits: objects open at once (partitioned output) and the longest record read. */
type S3Limits = { maxOpenObjects: number; maxRecordMb: number };

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
const PG_SCHEMES = ["postgres:", "postgresql:"];
const HTTP_SCHEMES = ["http:", "https:"];

/** One entry per setting, keyed by its path in Config. Adding a setting is adding a line here. */
// biome-ignore format: one line per setting keeps additions one-line and conflict-free
export const settings: Record<string, Setting> = {
  host: { flag: "--host", env: ["SLUICE_HOST"], default: "127.0.0.1", ...text(), doc: "address to listen on" },
  port: { flag: "--port", env: ["SLUICE_PORT"], default: 4747, ...int(0, 65535), doc: "HTTP port (0: any free port)" },
  dataDir: { flag: "--data-dir", env: ["SLUICE_DATA_DIR"], default: ".sluice", ...text(), doc: "SQLite database, master key, local S3 buckets" },
  databaseUrl: { flag: "--database-url", env: ["SLUICE_DATABASE_URL"], ...url(PG_SCHEMES), doc: "keep state in PostgreSQL instead of SQLite" },
  pgSchema: { env: ["SLUICE_PG_SCHEMA"], ...text(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case SQL identifier"), doc: "PostgreSQL schema for Sluice's tables (default: the search path)" },
  credentialsFile: { flag: "--credentials", env: ["SLUICE_CREDENTIALS_FILE"], ...text(), doc: "access keys, accounts and policies (default <data-dir>/credentials.json)" },
  masterKey: { env: ["SLUICE_MASTER_KEY"], ...secret(/^[A-Za-z0-9+/]{43}=$/, "base64 of 32 bytes"), doc: "the AES-256-GCM key for connector credentials (default <data-dir>/master.key)" },
  logLevel: { flag: "--log-level", env: ["SLUICE_LOG_LEVEL"], default: "info", ...oneOf(LOG_LEVELS), doc: "log level" },
  logFormat: { flag: "--log-format", env: ["SLUICE_LOG_FORMAT"], default: "auto", ...oneOf(["auto", "pretty", "json"]), doc: "log lines for people (pretty) or machines (json); auto: pretty on a terminal" },
  "s3.endpoint": { flag: "--s3-endpoint", env: ["SLUICE_S3_ENDPOINT"], ...url(HTTP_SCHEMES), doc: "S3-compatible endpoint for the S3 connector (default: local directory)" },
  "s3.accessKeyId": { env: ["SLUICE_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"], ...secret(), doc: "access key for --s3-endpoint" },
  "s3.secretAccessKey": { env: ["SLUICE_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"], ...secret(), doc: "secret key for --s3-endpoint" },
  "s3.region": { env: ["SLUICE_S3_REGION"], default: "us-east-1", ...text(), doc: "region for --s3-endpoint" },
  "s3.maxOpenObjects": { env: ["SLUICE_S3_MAX_OPEN_OBJECTS"], default: 32, ...int(1, 10_000), doc: "S3 output objects open at once per run (partitioned output); each buffers up to 5 MiB" },
  "s3.maxRecordMb": { env: ["SLUICE_S3_MAX_RECORD_MB"], default: 100, ...int(1, 2_048), doc: "longest CSV/JSON Lines record read (MB); a longer one ends the run Error" },
  // 0 workers is an API-only node: only meaningful when other nodes share its PostgreSQL (checked below).
  "engine.workers": { flag: "--workers", env: ["SLUICE_WORKERS"], default: 4, ...int(0, 1000), doc: "runs executed at once by this process" },
  "engine.leaseMs": { env: ["SLUICE_LEASE_MS"], default: 30_000, ...ms(100), doc: "run lease" },
  "engine.heartbeatMs": { env: ["SLUICE_HEARTBEAT_MS"], default: 1_000, ...ms(10), doc: "run heartbeat (at most half the lease)" },
  "engine.reapIntervalMs": { env: ["SLUICE_REAP_INTERVAL_MS"], default: 5_000, ...ms(10), doc: "how often expired leases are looked for" },
  "engine.pollMs": { env: ["SLUICE_POLL_MS"], default: 1_000, ...ms(10), doc: "how often idle workers look for queued runs" },
  "engine.cancelGraceMs": { env: ["SLUICE_CANCEL_GRACE_MS"], default: 60_000, ...ms(0), doc: "how long a cancelled run may take to reach a safe point before its I/O is aborted" },
  "engine.cancelForceMs": { env: ["SLUICE_CANCEL_FORCE_MS"], default: 10_000, ...ms(0), doc: "after the grace period and this much more, the run is recorded Canceled" },
  "engine.maxRunMs": { env: ["SLUICE_MAX_RUN_MS"], default: 48 * 3600_000, ...ms(1), doc: "maximum run time; a longer run ends Error" },
  "engine.schedulerTickMs": { env: ["SLUICE_SCHEDULER_TICK_MS"], default: 1_000, ...ms(10), doc: "how often the scheduler looks for due flows" },
  "engine.eventFlowReportMs": { env: ["SLUICE_EVENT_FLOW_REPORT_MS"], default: 300_000, ...ms(100), doc: "an active event flow's \"AppFlow Event Flow Report\" (an outbox event) covers this long" },
  "engine.batchRows": { env: ["SLUICE_BATCH_ROWS"], default: 5_000, ...int(1, 1_000_000), doc: "records per pipeline batch (a cancel checkpoint)" },
  "engine.redshiftBatchRows": { env: ["SLUICE_REDSHIFT_BATCH_ROWS"], default: 10_000, ...int(1, 1_000_000), doc: "rows per committed Redshift/PostgreSQL batch" },
  "engine.sourceParallelism": { env: ["SLUICE_SOURCE_PARALLELISM"], default: 4, ...int(1, 64), doc: "source objects read at once" },
  // 1: on 2 cores a pool measured slower than the run's thread alone (docs/architecture.md, the fast path).
  "engine.parseThreads": { env: ["SLUICE_PARSE_THREADS"], default: 1, ...int(0, 64), doc: "threads per run transcoding a large CSV object on the fast path (0 or 1: the run's own thread)" },
  "engine.runNice": { env: ["SLUICE_RUN_NICE"], default: 10, ...int(0, 19), doc: "CPU priority of run threads (Linux nice; 0: same as the API's)" },
  "engine.runHeapMb": { env: ["SLUICE_RUN_HEAP_MB"], default: 256, ...int(32, 65_536), doc: "heap limit of one run's thread (MB); a run that needs more ends Error" },
  "limits.maxFlowsPerAccount": { env: ["SLUICE_MAX_FLOWS"], default: 1_000, ...int(1, 1_000_000), doc: "flows per account" },
  "limits.maxActiveRunsPerAccount": { env: ["SLUICE_MAX_ACTIVE_RUNS"], default: 1_000, ...int(1, 1_000_000), doc: "runs in progress per account" },
  "limits.idempotencyMs": { env: ["SLUICE_IDEMPOTENCY_MS"], default: 8 * 3600_000, ...ms(1), doc: "how long a clientToken is remembered" },
  apiCacheMb: { env: ["SLUICE_API_CACHE_MB"], default: 4, ...int(0, 1024), doc: "memory for ListFlows/DescribeFlowExecutionRecords answers, reused until the next write (SQLite; 0: off)" },
  webhooks: { flag: "--webhook", env: ["SLUICE_WEBHOOKS"], default: [], ...list(url(HTTP_SCHEMES)), doc: "URLs that receive AppFlow run reports (comma-separated in the env)" },
  "throttle.readRate.rate": { env: ["SLUICE_THROTTLE_READ_RATE"], default: 50, ...int(1, 1_000_000), doc: "read requests per second per account and operation" },
  "throttle.readRate.burst": { env: ["SLUICE_THROTTLE_READ_BURST"], default: 100, ...int(1, 1_000_000), doc: "read request burst" },
  "throttle.writeRate.rate": { env: ["SLUICE_THROTTLE_WRITE_RATE"], default: 20, ...int(1, 1_000_000), doc: "write requests per second per account and operation" },
  "throttle.writeRate.burst": { env: ["SLUICE_THROTTLE_WRITE_BURST"], default: 40, ...int(1, 1_000_000), doc: "write request burst" },
  // The settings each connector folder declares (src/connectors/<name>/settings.ts).
  ...connectorSettings(),
};

/** A configuration the server refuses to start with; the message lists every bad setting. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export type ConfigOverrides = Partial<Omit<Config, "engine" | "limits" | "s3" | "throttle">> & {
  throttle?: Partial<ThrottleConfig>;
  engine?: Partial<Config["engine"]>;
  limits?: Partial<Config["limits"]>;
  s3?: Partial<Config["s3"]>;
};

type Tree = Record<string, unknown>;
const get = (o: Tree, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Tree)[k] : undefined), o);
function set(o: Tree, path: string, value: unknown): void {
  const keys = path.split(".");
  const last = keys.pop()!;
  let at = o;
  for (const k of keys) {
    at[k] ??= {};
    at = at[k] as Tree;
  }
  at[last] = value;
}

/**
 * Resolves every setting (override, else the first env variable set, else the default) and validates
 * it. Overrides may be typed values or the raw strings a command line gives.
 */
export function loadConfig(over: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Tree = {};
  const problems: string[] = [];
  for (const [path, s] of Object.entries(settings)) {
    const given = get(over as Tree, path);
    const envName = s.env?.find((e) => env[e] !== undefined && env[e] !== "");
    const from = given !== undefined ? s.flag : envName;
    const raw = given !== undefined ? given : envName ? env[envName] : undefined;
    if (raw === undefined) {
      if (s.default !== undefined) set(out, path, structuredClone(s.default));
      continue;
    }
    const value = typeof raw === "string" ? s.parse(raw) : raw;
    const ok = s.schema.safeParse(value);
    if (ok.success) set(out, path, ok.data);
    else problems.push(describe(path, s, from, raw));
  }
  const config = out as unknown as Config;
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  config.dataDir = resolve(config.dataDir);
  // Throttle members that aren't settings (per-operation overrides, bucket cap) pass through as given.
  config.throttle = { ...over.throttle, ...config.throttle };
  return config;
}

function describe(path: string, s: Setting, from: string | undefined, raw: unknown): string {
  const names = [s.flag, ...(s.env ?? [])].filter(Boolean).join(" / ") || path;
  const shown = s.secret
    ? "(value hidden)"
    : JSON.stringify(typeof raw === "string" && s.show ? s.show(raw) : raw);
  return `${from ?? names} ${shown} is not allowed: ${s.allowed} (${names}: ${s.doc})`;
}

function crossChecks(c: Config): string[] {
  const problems: string[] = [];
  // A lease must outlive several heartbeats, or a healthy worker would lose its run to the reaper.
  if (c.engine.heartbeatMs * 2 > c.engine.leaseMs) {
    problems.push(
      `SLUICE_LEASE_MS (${c.engine.leaseMs}) must be at least twice SLUICE_HEARTBEAT_MS (${c.engine.heartbeatMs})`,
    );
  }
  // With SQLite this process is the only one that can run flows: with no workers every run would wait forever.
  if (c.engine.workers === 0 && !c.databaseUrl) {
    problems.push(
      "--workers / SLUICE_WORKERS 0 is not allowed with SQLite: nothing else would execute the runs " +
        "(0 is for an API-only node sharing --database-url with nodes that have workers); allowed: 1 to 1000",
    );
  }
  return problems;
}

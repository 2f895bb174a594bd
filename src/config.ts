/** Server settings: flags override environment variables, which override defaults. */
import { resolve } from "node:path";
import type { ThrottleConfig } from "./api/protocol/throttle.ts";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  pgSchema?: string;
  credentialsFile?: string;
  masterKey?: string;
  logLevel: string;
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
    batchRows: number;
    redshiftBatchRows: number;
    sourceParallelism: number;
  };
  limits: { maxFlowsPerAccount: number; maxActiveRunsPerAccount: number; idempotencyMs: number };
  webhooks: string[];
  /** API rate limits (token buckets per account and operation); see api/protocol/throttle.ts. */
  throttle: Partial<ThrottleConfig>;
}

/** S3 connector limits: objects open at once (partitioned output) and the longest record read. */
type S3Limits = { maxOpenObjects: number; maxRecordMb: number };

const num = (v: string | undefined, d: number): number => {
  if (v === undefined || v === "") return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid number: ${v}`);
  return n;
};

export type ConfigOverrides = Partial<Omit<Config, "engine" | "limits" | "s3" | "throttle">> & {
  throttle?: Partial<ThrottleConfig>;
  engine?: Partial<Config["engine"]>;
  limits?: Partial<Config["limits"]>;
  s3?: Partial<Config["s3"]>;
};

export function loadConfig(over: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const base: Config = {
    host: env.SLUICE_HOST ?? "127.0.0.1",
    port: num(env.SLUICE_PORT, 4747),
    dataDir: resolve(env.SLUICE_DATA_DIR ?? ".sluice"),
    databaseUrl: env.SLUICE_DATABASE_URL || undefined,
    credentialsFile: env.SLUICE_CREDENTIALS_FILE || undefined,
    masterKey: env.SLUICE_MASTER_KEY || undefined,
    logLevel: env.SLUICE_LOG_LEVEL ?? "info",
    s3: {
      endpoint: env.SLUICE_S3_ENDPOINT || undefined,
      accessKeyId: env.SLUICE_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.SLUICE_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY,
      region: env.SLUICE_S3_REGION ?? "us-east-1",
      maxOpenObjects: num(env.SLUICE_S3_MAX_OPEN_OBJECTS, 32),
      maxRecordMb: num(env.SLUICE_S3_MAX_RECORD_MB, 100),
    },
    engine: {
      workers: num(env.SLUICE_WORKERS, 4),
      leaseMs: num(env.SLUICE_LEASE_MS, 30_000),
      heartbeatMs: num(env.SLUICE_HEARTBEAT_MS, 1_000),
      reapIntervalMs: num(env.SLUICE_REAP_INTERVAL_MS, 5_000),
      pollMs: num(env.SLUICE_POLL_MS, 1_000),
      cancelGraceMs: num(env.SLUICE_CANCEL_GRACE_MS, 60_000),
      cancelForceMs: num(env.SLUICE_CANCEL_FORCE_MS, 10_000),
      maxRunMs: num(env.SLUICE_MAX_RUN_MS, 48 * 3600_000),
      schedulerTickMs: num(env.SLUICE_SCHEDULER_TICK_MS, 1_000),
      batchRows: num(env.SLUICE_BATCH_ROWS, 5_000),
      redshiftBatchRows: num(env.SLUICE_REDSHIFT_BATCH_ROWS, 10_000),
      sourceParallelism: num(env.SLUICE_SOURCE_PARALLELISM, 4),
    },
    limits: {
      maxFlowsPerAccount: num(env.SLUICE_MAX_FLOWS, 1_000),
      maxActiveRunsPerAccount: num(env.SLUICE_MAX_ACTIVE_RUNS, 1_000),
      idempotencyMs: 8 * 3600_000,
    },
    webhooks: (env.SLUICE_WEBHOOKS ?? "").split(",").filter(Boolean),
    throttle: {
      readRate: {
        rate: num(env.SLUICE_THROTTLE_READ_RATE, 50),
        burst: num(env.SLUICE_THROTTLE_READ_BURST, 100),
      },
      writeRate: {
        rate: num(env.SLUICE_THROTTLE_WRITE_RATE, 20),
        burst: num(env.SLUICE_THROTTLE_WRITE_BURST, 40),
      },
    },
  };
  const defined = <T extends object>(o: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  const config: Config = {
    ...base,
    ...defined(over as Partial<Config>),
    dataDir: resolve(over.dataDir ?? base.dataDir),
    engine: { ...base.engine, ...defined(over.engine) },
    limits: { ...base.limits, ...defined(over.limits) },
    s3: { ...base.s3, ...defined(over.s3) },
    throttle: { ...base.throttle, ...defined(over.throttle) },
  };
  // A lease must outlive several heartbeats, or a healthy worker would lose its run to the reaper.
  if (config.engine.heartbeatMs * 2 > config.engine.leaseMs) {
    throw new Error(
      `the lease (${config.engine.leaseMs} ms) must be at least twice the heartbeat (${config.engine.heartbeatMs} ms)`,
    );
  }
  return config;
}

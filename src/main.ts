/**
 * Wiring: config → store → engine (workers, reaper, outbox) → HTTP. `stop()` shuts down in order:
 * stop accepting → stop claiming → grace period → stop runs → close the store.
 */

import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connectorEnv } from "./api/handlers/connector-env.ts";
import { resolveProfile } from "./api/handlers/flow-checks.ts";
import { loadCredentials } from "./api/protocol/credentials.ts";
import { requestListener } from "./api/protocol/http-server.ts";
import { Throttle } from "./api/protocol/throttle.ts";
import type { App } from "./app.ts";
import type { Config } from "./config.ts";
import { closeDataApiClients } from "./connectors/redshift/data-api.ts";
import { closeObjectStores } from "./connectors/s3/open-object-store.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { loadMasterKey, SecretBox } from "./domain/secrets.ts";
import { EventSubscriptions } from "./engine/event-subscriptions.ts";
import { Housekeeping } from "./engine/housekeeping.ts";
import { OutboxDeliverer } from "./engine/outbox-deliverer.ts";
import { Reaper } from "./engine/reaper.ts";
import { threadExecutor } from "./engine/thread-executor.ts";
import { WorkerPool } from "./engine/worker-pool.ts";
import { healthRoutes } from "./health.ts";
import { createLogger, type Logger } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { explainConnectError } from "./store/connect-errors.ts";
import { openStore, type Store } from "./store/open-store.ts";
import type { RunsTable } from "./store/schema.ts";

export interface Sluice {
  app: App;
  scheduler: Scheduler;
  url: string;
  port: number;
  stop(graceMs?: number): Promise<void>;
}

export async function startSluice(
  config: Config,
  log: Logger = createLogger(config.logLevel, undefined, config.logFormat),
): Promise<Sluice> {
  // The port first: if it is taken, the start fails before anything (data dir, sluice.db, master.key)
  // has been created.
  const server = await bindPort(config);
  let unlock = () => {};
  let store: Store | undefined;
  try {
    if (!config.databaseUrl) unlock = lockDataDir(config.dataDir);
    const credentials = loadCredentials(config.credentialsFile, config.dataDir);
    const metrics = new Metrics();
    store = await openStore({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      pgSchema: config.pgSchema,
      onQuery: (kind, ms) => metrics.storeSeconds.observe({ kind }, ms / 1000),
    }).catch((err: unknown) => {
      throw config.databaseUrl ? explainConnectError(err, config.databaseUrl) : err;
    });
    // After the store: a start refused by the database leaves no master.key behind.
    const secrets = new SecretBox(loadMasterKey(config.dataDir, config.masterKey));
    return await run(config, log, { credentials, secrets, metrics, store, unlock, server });
  } catch (err) {
    // A failed start (bad credentials file, unreachable database) leaves nothing held.
    await store?.close().catch(() => {});
    unlock();
    await new Promise((r) => server.close(r));
    throw err;
  }
}

async function bindPort(config: Config): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const at = `${config.host}:${config.port}`;
      if (err.code === "EADDRINUSE")
        reject(
          new Error(`port ${at} is already in use (EADDRINUSE): choose another with --port / SLUICE_PORT`),
        );
      else if (err.code === "EADDRNOTAVAIL")
        reject(
          new Error(
            `address ${config.host} is not on this machine (EADDRNOTAVAIL): check --host / SLUICE_HOST`,
          ),
        );
      else reject(err);
    });
    server.listen(config.port, config.host, () => resolve());
  });
  return server;
}

interface Parts {
  credentials: App["credentials"];
  secrets: SecretBox;
  metrics: Metrics;
  store: Store;
  unlock: () => void;
  server: Server;
}

async function run(config: Config, log: Logger, parts: Parts): Promise<Sluice> {
  const { credentials, secrets, metrics, store, unlock, server } = parts;
  const now = () => Date.now();
  // Buckets refill on a monotonic clock: a wall-clock step (NTP, a VM resumed) must not grant tokens.
  const throttle = new Throttle(config.throttle, () => performance.now());
  const app = { config, store, secrets, credentials, log, metrics, now, throttle } as App;
  // The record pipeline runs in worker threads; this thread keeps the API, the store and the leases.
  const threads = threadExecutor({
    logLevel: log.level,
    idleThreads: config.engine.workers,
    nice: config.engine.runNice,
    heapMb: config.engine.runHeapMb,
  });
  app.workers = new WorkerPool(
    store,
    config.engine,
    {
      env: connectorEnv(app),
      log,
      now,
      resolveProfile: (accountId, name) => resolveProfile(app, accountId, name),
    },
    log,
    threads.execute,
  );
  app.workers.onRunEnd((run, { cancelLatencyMs }) => recordRunEnd(metrics, run, cancelLatencyMs));
  const reaper = new Reaper(store, config.engine.reapIntervalMs, now, log, (runs) => {
    for (const r of runs) recordRunEnd(metrics, r, undefined);
  });
  const outbox = new OutboxDeliverer(store, config.webhooks, now, log, (result) =>
    metrics.webhookDeliveries.inc({ result }, config.webhooks.length),
  );
  const scheduler = new Scheduler(
    {
      store,
      log,
      maxActiveRunsPerAccount: config.limits.maxActiveRunsPerAccount,
      newId: randomUUID,
      onRun: (_id, flow) => {
        metrics.runsStarted.inc({ flow: flow.flow_name, trigger: "Scheduled" });
        app.workers.wake();
      },
    },
    config.engine.schedulerTickMs,
    now,
  );
  const events = new EventSubscriptions({
    store,
    env: connectorEnv(app),
    log,
    now,
    resolveProfile: (accountId, name) => resolveProfile(app, accountId, name),
    leaseMs: config.engine.leaseMs,
    heartbeatMs: config.engine.heartbeatMs,
    cancelGraceMs: config.engine.cancelGraceMs,
    maxActiveRunsPerAccount: config.limits.maxActiveRunsPerAccount,
    reportIntervalMs: config.engine.eventFlowReportMs,
    onRunEnd: (r) => recordRunEnd(metrics, r, undefined),
  });
  const housekeeping = new Housekeeping(store, config.dataDir, config.limits.idempotencyMs, now, log);

  server.on("request", requestListener(app, healthRoutes(app)));
  let unlisten: () => Promise<void>;
  try {
    await reaper.start();
    // PostgreSQL: other processes' cancels and queued runs reach this one at once (heartbeats and
    // polling remain the fallback if the listening connection drops).
    unlisten = await listenAll(store, app.workers, log);
  } catch (err) {
    reaper.stop();
    throw err;
  }
  housekeeping.start();
  app.workers.start();
  outbox.start();
  scheduler.start();
  await events.start();
  const port = (server.address() as AddressInfo).port;
  log.info({ port, dataDir: config.dataDir, backend: store.caps.dialect }, "sluice listening");

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= (async () => {
      // Stop accepting; requests in flight get the grace period, then their connections are closed.
      const closed = new Promise<void>((r) => server.close(() => r()));
      await Promise.race([closed, new Promise((r) => setTimeout(r, graceMs).unref())]);
      server.closeAllConnections();
      await closed;
      scheduler.stop();
      await events.stop();
      await app.workers.stop(graceMs);
      await threads.close();
      reaper.stop();
      housekeeping.stop();
      outbox.stop();
      await outbox.tick();
      await unlisten();
      await store.close();
      closeObjectStores();
      closeDataApiClients();
      unlock();
    })());
  return { app, scheduler, url: `http://${config.host}:${port}`, port, stop };
}

function recordRunEnd(m: Metrics, run: RunsTable, cancelLatencyMs: number | undefined): void {
  m.runsFinished.inc({ flow: run.flow_name, status: run.status, trigger: run.trigger_type });
  m.records.inc({ flow: run.flow_name, kind: "processed" }, run.records_processed);
  m.records.inc({ flow: run.flow_name, kind: "written" }, run.records_written);
  m.bytes.inc({ flow: run.flow_name, kind: "processed" }, run.bytes_processed);
  m.bytes.inc({ flow: run.flow_name, kind: "written" }, run.bytes_written);
  if (run.ended_at !== null)
    m.runSeconds.observe({ status: run.status }, (run.ended_at - run.created_at) / 1000);
  if (cancelLatencyMs !== undefined) m.cancelLatency.observe(cancelLatencyMs / 1000);
}

async function listenAll(store: Store, workers: WorkerPool, log: Logger): Promise<() => Promise<void>> {
  if (!store.listen) return async () => {};
  return store.listen(
    {
      runs: () => workers.wake(),
      cancel: (payload) => {
        try {
          workers.notifyCancel(JSON.parse(payload) as string[]);
        } catch (err) {
          log.warn({ err }, "unreadable cancel notification");
        }
      },
    },
    {
      onError: (err) =>
        log.warn(
          { err },
          "the LISTEN connection was lost; reconnecting (heartbeats and polling cover the gap)",
        ),
      // Runs queued while deaf wait for no poll; cancels missed meanwhile reach workers by heartbeat.
      onReconnect: () => {
        log.info("the LISTEN connection is back");
        workers.wake();
      },
    },
  );
}

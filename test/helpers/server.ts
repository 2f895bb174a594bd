/**
 * Test harness: a real Sluice server on port 0 with a fresh data dir, on SQLite or on PostgreSQL (a
 * fresh schema per server), and a real @aws-sdk/client-appflow client pointed at it.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppflowClient } from "@aws-sdk/client-appflow";
import { type ConfigOverrides, loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { type Sluice, startSluice } from "../../src/main.ts";
import { type Backend, dropSchema, PG_URL } from "./backends.ts";

export { type Backend, backends, PG_URL } from "./backends.ts";

export interface TestServer {
  sluice: Sluice;
  client: AppflowClient;
  dataDir: string;
  backend: Backend;
  pgSchema?: string;
  restart(over?: ConfigOverrides): Promise<TestServer>;
  close(): Promise<void>;
}

export async function startTestServer(backend: Backend, over: ConfigOverrides = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-test-"));
  const pgSchema = backend === "postgres" ? `t_${randomUUID().replaceAll("-", "")}` : undefined;
  return boot(backend, dataDir, pgSchema, over, true);
}

async function boot(
  backend: Backend,
  dataDir: string,
  pgSchema: string | undefined,
  over: ConfigOverrides,
  owner: boolean,
): Promise<TestServer> {
  const config = loadConfig(
    {
      port: 0,
      dataDir,
      databaseUrl: backend === "postgres" ? PG_URL : undefined,
      pgSchema,
      logLevel: process.env.SLUICE_TEST_LOG ?? "silent",
      ...over,
      engine: { pollMs: 200, reapIntervalMs: 500, ...over.engine },
    },
    {},
  );
  const sluice = await startSluice(config, createLogger(config.logLevel));
  const client = appflowClient(sluice.url);
  const server: TestServer = {
    sluice,
    client,
    dataDir,
    backend,
    pgSchema,
    async restart(next = over) {
      await sluice.stop(0);
      client.destroy();
      return boot(backend, dataDir, pgSchema, next, owner);
    },
    async close() {
      await sluice.stop(0);
      client.destroy();
      if (owner) await cleanup(dataDir, pgSchema);
    },
  };
  return server;
}

/** Another node on the same store (PostgreSQL schema) and data dir, as a second machine would be. */
export async function startPeer(of: TestServer, over: ConfigOverrides = {}): Promise<TestServer> {
  return boot(of.backend, of.dataDir, of.pgSchema, over, false);
}

/**
 * The SDK client tests talk to Sluice with. One attempt per call: the SDK's retries would hide a 5xx
 * or a throttling answer behind a later success; a test about retries builds its own client.
 */
export function appflowClient(
  endpoint: string,
  accessKeyId = "test",
  secretAccessKey = "test",
): AppflowClient {
  return new AppflowClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

export async function cleanup(dataDir: string, pgSchema?: string): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  if (pgSchema) await dropSchema(pgSchema);
}

/** Polls `fn` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** A fresh store per test on each backend: a temp SQLite file, or a new PostgreSQL schema. */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { FlowRow } from "../../src/store/flows-sql.ts";
import { type InterleaveHook, openStore, type Store } from "../../src/store/open-store.ts";
import { type Backend, dropSchema, PG_URL } from "./backends.ts";

/** Why the test PostgreSQL can't be used (unreachable, or the database missing), or undefined. */
async function pgProblem(): Promise<string | undefined> {
  // Generous: on a busy machine a 2 s connect timed out and skipped every PostgreSQL test of a file.
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 15000 });
  try {
    await c.connect();
    await c.end();
    return undefined;
  } catch (err) {
    const db = new URL(PG_URL).pathname.slice(1);
    if ((err as { code?: string }).code === "3D000")
      return `PostgreSQL at ${PG_URL} has no database "${db}": create it (createdb -h 127.0.0.1 -U postgres ${db}) or set SLUICE_TEST_PG_URL`;
    return `PostgreSQL is not reachable at ${PG_URL} (${(err as Error).message}; set SLUICE_TEST_PG_URL); .ci/run starts it`;
  }
}

export async function pgAvailable(): Promise<boolean> {
  return (await pgProblem()) === undefined;
}

/**
 * Why a PostgreSQL test can't run, or undefined when it can. In CI (SLUICE_REQUIRE_PG=1) a missing
 * PostgreSQL is a failure, never a skip.
 */
export async function pgSkipReason(backend: Backend): Promise<string | undefined> {
  if (backend !== "postgres") return undefined;
  const problem = await pgProblem();
  if (problem && process.env.SLUICE_REQUIRE_PG === "1") throw new Error(`SLUICE_REQUIRE_PG=1 but ${problem}`);
  return problem;
}

export async function freshStore(
  backend: Backend,
  opts: { interleave?: InterleaveHook } = {},
): Promise<{ store: Store; done(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-store-"));
  const pgSchema = backend === "postgres" ? `s_${randomUUID().replaceAll("-", "")}` : undefined;
  const store = await openStore({
    dataDir,
    databaseUrl: backend === "postgres" ? PG_URL : undefined,
    pgSchema,
    ...(opts.interleave ? { interleave: opts.interleave } : {}),
  });
  return {
    store,
    async done() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema) await dropSchema(pgSchema);
    },
  };
}

/** A minimal OnDemand flow row for store-level tests. */
export function flowRow(account: string, flowName: string, at = Date.now()): FlowRow {
  return {
    account_id: account,
    flow_name: flowName,
    flow_arn: `arn:aws:appflow:us-east-1:${account}:flow/${flowName}`,
    flow_status: "Active",
    trigger_type: "OnDemand",
    source_type: "S3",
    destination_type: "S3",
    description: null,
    definition: JSON.stringify({ triggerConfig: { triggerType: "OnDemand" } }),
    schema_version: 1,
    created_at: at,
    updated_at: at,
    created_by: "test",
    last_updated_by: "test",
    next_fire_at: null,
    last_fired_at: null,
    row_version: 1,
  };
}

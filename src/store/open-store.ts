/**
 * Opens the store: SQLite (better-sqlite3, one writer per data dir) by default, PostgreSQL when a
 * database URL is given. Backends differ by capability flags, not by forked query code.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, type LogEvent, Migrator, SqliteDialect, sql } from "kysely";
import type pg from "pg";
import { StaticMigrations } from "./migrations.ts";
import { SchemaScopedPostgresDialect } from "./pg-introspector.ts";
import type { Database } from "./schema.ts";

export interface StoreCapabilities {
  dialect: "sqlite" | "postgres";
  /** PostgreSQL: `FOR UPDATE SKIP LOCKED` lets several processes claim runs without blocking each other. */
  skipLocked: boolean;
  /** PostgreSQL: the LISTEN/NOTIFY channel for a topic, scoped to this store's schema. */
  channel?: (topic: NotifyTopic) => string;
  /** The embedder's hook at each transaction's decision point (see TxPoint); none by default. */
  interleave?: InterleaveHook;
  /**
   * SQLite: a number that changes with every statement that may write (this process is the database's
   * only writer), so an answer read at one version is current while the version is the same.
   * PostgreSQL: absent (other nodes write).
   */
  dataVersion?: () => number;
}

/**
 * Points inside store transactions where the deciding write is done and the commit is next: a
 * concurrent transaction started from the hook meets this one's row locks (PostgreSQL) or waits
 * behind it (SQLite), so every interleaving of a race can be produced on purpose (fault injection,
 * the race tests).
 */
export type TxPoint =
  | "cancel-runs"
  | "end-run"
  | "claim-run"
  | "create-run"
  | "delete-flow"
  | "event-flow-report";
export type InterleaveHook = (point: TxPoint, trx: Kysely<Database>) => Promise<void>;

/** Cross-process signals: a run was queued; runs were cancelled (payload: JSON array of ids). */
export type NotifyTopic = "runs" | "cancel";

export interface Store {
  db: Kysely<Database>;
  caps: StoreCapabilities;
  /**
   * PostgreSQL only: one dedicated connection LISTENing on the topics, reconnecting by itself when it
   * is lost; resolves (once LISTENing) to its stop function.
   */
  listen?(
    handlers: Partial<Record<NotifyTopic, (payload: string) => void>>,
    events: { onError(err: unknown): void; onReconnect(): void },
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); lets tests isolate themselves. */
  pgSchema?: string;
  /** Called with every query's duration (metrics). */
  onQuery?: (kind: string, ms: number) => void;
  interleave?: InterleaveHook;
}

const CONNECT_TIMEOUT_MS = 5_000;

/** pg is loaded only for a PostgreSQL store (on SQLite it would be ~10 MB of memory for nothing). */
async function loadPg(): Promise<typeof pg> {
  const lib = (await import("pg")).default;
  // BIGINT columns hold epoch milliseconds and counters: well inside Number's exact range.
  lib.types.setTypeParser(20, (v) => Number(v));
  return lib;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  const store = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, opts.pgSchema, logQueries(opts.onQuery))
    : openSqlite(opts.dataDir, logQueries(opts.onQuery));
  if (opts.interleave) store.caps.interleave = opts.interleave;
  // Kysely's migrator, without a schema, takes a migration table in ANY schema of the database for
  // its own and then fails on the missing one in ours: pin it to the schema this store works in.
  const migrationTableSchema = store.caps.dialect === "postgres" ? await currentSchema(store.db) : undefined;
  const migrator = new Migrator({
    db: store.db,
    provider: new StaticMigrations(store.caps.dialect),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await store.close();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return store;
}

async function currentSchema(db: Kysely<Database>): Promise<string | undefined> {
  const r = await sql<{ s: string | null }>`SELECT current_schema() AS s`.execute(db);
  return r.rows[0]?.s ?? undefined;
}

type QueryLog = ((e: LogEvent) => void) | undefined;

function logQueries(onQuery: StoreOptions["onQuery"]): QueryLog {
  if (!onQuery) return undefined;
  return (e) => onQuery(e.query.query.kind.replace(/QueryNode$/, "").toLowerCase(), e.queryDurationMillis);
}

function openSqlite(dataDir: string, log: QueryLog): Store {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new SQLite(join(dataDir, "sluice.db"));
  sqlite.pragma("journal_mode = WAL");
  // FULL: a committed status change (e.g. CancelStarted) survives power loss, not only a process crash.
  // Heartbeats relax it to NORMAL for their own commit (touch-run.ts; docs/runs.md "Durability").
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const database = withStatementCache(sqlite);
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database }),
    ...(log ? { log } : {}),
  });
  return {
    db,
    caps: { dialect: "sqlite", skipLocked: false, dataVersion: () => database.writes },
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string, schema: string | undefined, log: QueryLog): Promise<Store> {
  const pg = await loadPg();
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    } finally {
      await admin.end();
    }
  }
  const clientConfig = {
    connectionString: url,
    ...(schema ? { options: `-c search_path="${schema.replaceAll('"', '""')}"` } : {}),
  };
  // A request must not wait long for a connection during an outage: it fails, answered as retryable.
  const pool = new pg.Pool({ ...clientConfig, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // pg emits 'error' on a Client whose connection is lost. The pool listens only while a client is
  // idle; one lost while checked out (mid-query, mid-transaction) would be an unhandled 'error' that
  // kills the process. Its pending query rejects with the error, and the pool discards the client.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<Database>({
    dialect: new SchemaScopedPostgresDialect({ pool }),
    ...(log ? { log } : {}),
  });
  // Channels are per schema, so stores sharing one database (tests, tenants) never hear each other.
  const scope = createHash("sha256")
    .update(schema ?? (await currentSchema(db)) ?? "public")
    .digest("hex")
    .slice(0, 16);
  const channel = (topic: NotifyTopic) => `sluice_${topic}_${scope}`;
  return {
    db,
    caps: { dialect: "postgres", skipLocked: true, channel },
    async listen(handlers, events) {
      const byChannel = new Map<string, (payload: string) => void>();
      for (const [topic, fn] of Object.entries(handlers))
        if (fn) byChannel.set(channel(topic as NotifyTopic), fn);
      const { PgListener } = await import("./pg-listener.ts");
      const listener = new PgListener(clientConfig, [...byChannel.keys()], {
        onMessage: (ch, payload) => byChannel.get(ch)?.(payload),
        onError: events.onError,
        onReconnect: events.onReconnect,
      });
      await listener.start();
      return () => listener.stop();
    },
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query anew; preparing is a large part of a small query's cost on SQLite.
 * Statements are reused by SQL text (Kysely runs one query at a time on this connection). Kysely
 * prepares each statement right before it runs it, in the same synchronous call, so counting the
 * statements that may write as they are prepared counts the writes (the store's data version).
 */
function withStatementCache(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  const out = {
    writes: 0,
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        // Queries with IN lists of many lengths are many texts: keep the cache bounded.
        if (cache.size >= 500) cache.clear();
        stmt = sqlite.prepare(planOnce(sqlText));
        cache.set(sqlText, stmt);
      }
      // BEGIN and COMMIT are read-only to SQLite; the writes between them are counted, and a reader
      // can't run between them (one connection, held by the transaction).
      if (!stmt.readonly) out.writes++;
      return stmt;
    },
  };
  return out;
}

/**
 * SQLite plans a bare `LIMIT ?` for its bound value, so binding that parameter again (better-sqlite3
 * binds at every call, even the same value) makes the next step parse and plan the statement anew:
 * for a list page of 100 that was about a third of the query's CPU. `LIMIT +?` is the same limit,
 * planned once. (Kysely writes `limit ?`; no statement here has the text inside a string literal.)
 */
export function planOnce(sqlText: string): string {
  return sqlText.replace(/\blimit \?/gi, (m) => `${m.slice(0, 6)}+?`);
}

/**
 * Heartbeat and progress in one fenced statement: renews the lease, stores the counts, and tells the
 * worker the run's status (how a cancel from another process reaches it). No row back means the
 * worker no longer owns the run (reaped, or ended) and must stop writing.
 *
 * On SQLite this is the most frequent write, and with `synchronous = FULL` each one is an fsync on the
 * event loop. It is committed with `synchronous = NORMAL` instead (WAL: durable across a process crash,
 * not a power loss): a lost heartbeat or progress count is harmless, since after a power loss the
 * restart reaps every claimed run, and the next FULL commit (any status transition) fsyncs the WAL up
 * to and including it. See docs/runs.md, "Durability".
 */
import { type Kysely, sql } from "kysely";
import type { ExecutionStatus } from "../../domain/flow.ts";
import type { StoreCapabilities } from "../open-store.ts";
import type { Database } from "../schema.ts";
import { leaseUntil } from "./lease-clock.ts";

export interface RunCounts {
  recordsProcessed: number;
  recordsWritten: number;
  recordsDropped: number;
  bytesProcessed: number;
  bytesWritten: number;
  putFailures: number;
  numParallel?: number;
  maxPageSize?: number;
  dataPullStart?: number;
  dataPullEnd?: number;
}

/** A run's counts before it has read anything. */
export function emptyCounts(): RunCounts {
  return {
    recordsProcessed: 0,
    recordsWritten: 0,
    recordsDropped: 0,
    bytesProcessed: 0,
    bytesWritten: 0,
    putFailures: 0,
  };
}

export function countColumns(c: RunCounts) {
  return {
    records_processed: c.recordsProcessed,
    records_written: c.recordsWritten,
    records_dropped: c.recordsDropped,
    bytes_processed: c.bytesProcessed,
    bytes_written: c.bytesWritten,
    put_failures: c.putFailures,
    ...(c.numParallel !== undefined ? { num_parallel: c.numParallel } : {}),
    ...(c.maxPageSize !== undefined ? { max_page_size: c.maxPageSize } : {}),
    ...(c.dataPullStart !== undefined ? { data_pull_start: c.dataPullStart } : {}),
    ...(c.dataPullEnd !== undefined ? { data_pull_end: c.dataPullEnd } : {}),
  };
}

export async function touchRun(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  executionId: string,
  owner: string,
  now: number,
  leaseMs: number,
  counts?: RunCounts,
): Promise<ExecutionStatus | undefined> {
  const update = (q: Kysely<Database>) =>
    q
      .updateTable("runs")
      .set({
        lease_expires_at: leaseUntil(caps, now, leaseMs),
        updated_at: now,
        ...(counts ? countColumns(counts) : {}),
      })
      .where("execution_id", "=", executionId)
      .where("lease_owner", "=", owner)
      .where("status", "in", ["InProgress", "CancelStarted"])
      .returning("status")
      .executeTakeFirst();
  if (caps.dialect !== "sqlite") return (await update(db))?.status;
  // One connection held for the three statements, so no other write (a cancel, an end) can commit
  // while the relaxed setting is in force.
  return db.connection().execute(async (conn) => {
    await sql`PRAGMA synchronous = NORMAL`.execute(conn);
    try {
      return (await update(conn))?.status;
    } finally {
      await sql`PRAGMA synchronous = FULL`.execute(conn);
    }
  });
}

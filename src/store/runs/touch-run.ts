/**
 * Heartbeat and progress in one fenced statement: renews the lease, stores the counts, and tells the
 * worker the run's status (how a cancel from another process reaches it). No row back means the
 * worker no longer owns the run (reaped, or ended) and must stop writing.
 */
import type { Kysely } from "kysely";
import type { ExecutionStatus } from "../../domain/flow.ts";
import type { Database } from "../schema.ts";

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
  executionId: string,
  owner: string,
  now: number,
  leaseMs: number,
  counts?: RunCounts,
): Promise<ExecutionStatus | undefined> {
  const row = await db
    .updateTable("runs")
    .set({ lease_expires_at: now + leaseMs, updated_at: now, ...(counts ? countColumns(counts) : {}) })
    .where("execution_id", "=", executionId)
    .where("lease_owner", "=", owner)
    .where("status", "in", ["InProgress", "CancelStarted"])
    .returning("status")
    .executeTakeFirst();
  return row?.status;
}

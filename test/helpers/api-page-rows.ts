/**
 * Rows for the API page tests, and the mapping the handlers used to write them as JSON from rows
 * (toWireJson over JS objects): what the database-written pages must equal.
 */
import type { LastRunRow, RunRecordRow } from "../../src/store/runs/list-runs.ts";
import type { FlowsTable, RunsTable } from "../../src/store/schema.ts";

export const A = "111111111111";
export const B = "222222222222";
const sec = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : ms / 1000);

export function executionRecord(run: RunRecordRow) {
  const failed = run.status === "Error" || run.put_failures > 0;
  return {
    executionId: run.execution_id,
    executionStatus: run.status,
    executionResult: {
      errorInfo: failed
        ? { putFailuresCount: run.put_failures, executionMessage: run.error_message ?? undefined }
        : undefined,
      bytesProcessed: run.bytes_processed,
      bytesWritten: run.bytes_written,
      recordsProcessed: run.records_processed,
      numParallelProcesses: run.num_parallel ?? undefined,
      maxPageSize: run.max_page_size ?? undefined,
    },
    startedAt: sec(run.created_at),
    lastUpdatedAt: sec(run.updated_at),
    dataPullStartTime: sec(run.data_pull_start ?? run.started_at),
    dataPullEndTime: sec(run.data_pull_end),
  };
}

export function flowSummary(row: FlowsTable, tags: Record<string, string>, lastRun: LastRunRow | undefined) {
  return {
    flowArn: row.flow_arn,
    description: row.description ?? undefined,
    flowName: row.flow_name,
    flowStatus: row.flow_status,
    sourceConnectorType: row.source_type,
    destinationConnectorType: row.destination_type,
    triggerType: row.trigger_type,
    createdAt: sec(row.created_at),
    lastUpdatedAt: sec(row.updated_at),
    createdBy: row.created_by,
    lastUpdatedBy: row.last_updated_by,
    tags,
    lastRunExecutionDetails: lastRun && {
      mostRecentExecutionMessage: lastRun.error_message ?? undefined,
      mostRecentExecutionTime: sec(lastRun.updated_at),
      mostRecentExecutionStatus: lastRun.status,
    },
  };
}

/** Text that JSON escapes in every way it can: quotes, backslashes, control characters, non-ASCII. */
export const NASTY = 'say "hi"\\ \n\r\t\b\f \u0001\u001f\u007f é 日本 😀 \u2028 null </script>';

export function run(flowName: string, i: number, over: Partial<RunsTable> = {}): RunsTable {
  const at = 1_700_000_000_000 + i * 37;
  return {
    execution_id: `${flowName}-${String(i).padStart(4, "0")}`,
    account_id: A,
    flow_name: flowName,
    flow_arn: `arn:aws:appflow:us-east-1:${A}:flow/${flowName}`,
    status: (["Successful", "Error", "InProgress", "CancelStarted", "Canceled"] as const)[i % 5]!,
    trigger_type: "OnDemand",
    flow_snapshot: "{}",
    created_at: at,
    // Whole seconds, tenths, hundredths and thousandths all occur.
    updated_at: [at - (at % 1000), at - (at % 100), at - (at % 10), at + 1][i % 4]!,
    started_at: i % 3 === 0 ? null : at + 5,
    ended_at: null,
    data_pull_start: i % 6 === 1 ? null : i % 7 === 0 ? -1500 - i : at + 10,
    data_pull_end: i % 4 === 2 ? null : i % 11 === 0 ? -1 : at + 500,
    records_processed: i * 1000,
    records_written: i,
    records_dropped: 0,
    bytes_processed: i * 2 ** 40,
    bytes_written: i * 3,
    put_failures: i % 9 === 4 ? 2 : 0,
    num_parallel: i % 2 ? null : 4,
    max_page_size: i % 3 ? null : 5000,
    error_message: i % 2 ? `${NASTY} ${i}` : null,
    claimed: 1,
    lease_owner: null,
    lease_expires_at: null,
    cancel_requested_at: null,
    watermark_to: null,
    ...over,
  };
}

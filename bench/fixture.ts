import { join } from "node:path";
import {
  type AppflowClient,
  type ExecutionRecord,
  StartFlowCommand,
  type Task,
} from "@aws-sdk/client-appflow";
import pg from "pg";
import { PG_URL } from "../test/helpers/backends.ts";
import { copyTasks, createSlowTable, isTerminal, runRecord } from "../test/helpers/flows.ts";

export { createS3ToPgFlow } from "../test/helpers/flows.ts";

import { sleep } from "./stats.ts";

/** Projection + a Map per column + MASK_LAST_N on email: figure 1's task list. */
export function maskedCopyTasks(): Task[] {
  return [
    ...copyTasks(),
    {
      taskType: "Mask",
      sourceFields: ["email"],
      connectorOperator: { S3: "MASK_LAST_N" },
      taskProperties: { MASK_LENGTH: "11", MASK_VALUE: "*" },
    },
  ];
}

export interface RunTiming {
  ms: number;
  record: ExecutionRecord;
}

/** StartFlow, then DescribeFlowExecutionRecords every `pollMs` until the run is terminal. */
export async function runToEnd(
  client: AppflowClient,
  flowName: string,
  timeoutMs = 30 * 60_000,
  pollMs = 50,
): Promise<RunTiming> {
  const t0 = performance.now();
  const { executionId } = await client.send(new StartFlowCommand({ flowName }));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rec = await runRecord(client, flowName, executionId!);
    if (rec && isTerminal(rec)) {
      const ms = performance.now() - t0;
      if (rec.executionStatus !== "Successful") {
        throw new Error(
          `run ${executionId} of ${flowName} ended ${rec.executionStatus}: ${rec.executionResult?.errorInfo?.executionMessage ?? ""}`,
        );
      }
      return { ms, record: rec };
    }
    await sleep(pollMs);
  }
  throw new Error(`run ${executionId} of ${flowName} did not end within ${timeoutMs} ms`);
}

/** A fresh 10-column table (the same shape for Sluice and for psql); with `msPerStatement`, each COPY sleeps that long first. */
export const freshTable = (msPerStatement = 0) => createSlowTable(msPerStatement, "statement");

/**
 * Flushes PostgreSQL's dirty pages and WAL now (CHECKPOINT), so a timed load doesn't pay for the one
 * before it: each 1M-row load writes ~200 MB of WAL, and a checkpoint that max_wal_size starts in the
 * middle of a later load (Sluice's or psql's, whichever comes) competes with it for the two cores. Not
 * being allowed to (no superuser or pg_checkpoint), or no PostgreSQL, only leaves that noise in.
 */
export async function checkpointPostgres(): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  // Figure 2 runs without PostgreSQL too: then there is nothing to flush.
  if (
    !(await c.connect().then(
      () => true,
      () => false,
    ))
  )
    return;
  try {
    await c.query("CHECKPOINT").catch(() => {});
  } finally {
    await c.end();
  }
}

/** Where writeCsv puts an object of the local S3 directory. */
export const localObject = (dataDir: string, bucket: string, key: string) => join(dataDir, "s3", bucket, key);

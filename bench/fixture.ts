/**
 * Shared set-up for the figures: a Sluice server on a temp data dir, the benchmark flows, a fresh
 * PostgreSQL table per repetition, and a client-side "StartFlow → terminal" timer.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  type AppflowClient,
  CreateFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  type ExecutionRecord,
  StartFlowCommand,
  type Task,
} from "@aws-sdk/client-appflow";
import pg from "pg";
import { COLUMNS, copyTasks } from "../test/helpers/flows.ts";
import { PG_URL } from "../test/helpers/server.ts";
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

export async function createS3ToPgFlow(
  client: AppflowClient,
  flowName: string,
  opts: { inBucket: string; prefix: string; profile: string; table: string; tasks: Task[] },
): Promise<void> {
  await client.send(
    new CreateFlowCommand({
      flowName,
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: {
        connectorType: "S3",
        sourceConnectorProperties: {
          S3: {
            bucketName: opts.inBucket,
            bucketPrefix: opts.prefix,
            s3InputFormatConfig: { s3InputFileType: "CSV" },
          },
        },
      },
      destinationFlowConfigList: [
        {
          connectorType: "Redshift",
          connectorProfileName: opts.profile,
          destinationConnectorProperties: {
            Redshift: {
              object: opts.table,
              intermediateBucketName: "sluice-staging",
              errorHandlingConfig: { failOnFirstDestinationError: true },
            },
          },
        },
      ],
      tasks: opts.tasks,
    }),
  );
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
    const rec = await findRun(client, flowName, executionId!);
    if (rec && isTerminalStatus(rec.executionStatus)) {
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

export async function findRun(
  client: AppflowClient,
  flowName: string,
  executionId: string,
): Promise<ExecutionRecord | undefined> {
  const out = await client.send(new DescribeFlowExecutionRecordsCommand({ flowName, maxResults: 100 }));
  return out.flowExecutions?.find((r) => r.executionId === executionId);
}

export const isTerminalStatus = (s: string | undefined) =>
  s === "Successful" || s === "Error" || s === "Canceled";

/**
 * A fresh schema with one 10-column text table (the same shape for Sluice and for psql). With
 * `msPerStatement`, every INSERT/COPY statement first sleeps that long (a statement trigger): each
 * destination batch is then really in flight for that time. (A per-row pg_sleep can't be finer than
 * about a millisecond, which makes a 10,000-row batch last ten seconds or more.)
 */
export async function freshTable(msPerStatement = 0): Promise<{
  table: string;
  count(): Promise<number>;
  drop(): Promise<void>;
}> {
  const schema = `bench_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`CREATE TABLE ${schema}.t (${COLUMNS.map((col) => `${col} text`).join(", ")})`);
  if (msPerStatement > 0) {
    await c.query(`CREATE FUNCTION ${schema}.slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(${msPerStatement / 1000}); RETURN NULL; END $$`);
    await c.query(
      `CREATE TRIGGER slow BEFORE INSERT ON ${schema}.t FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.slow()`,
    );
  }
  return {
    table: `${schema}.t`,
    count: async () => Number((await c.query(`SELECT count(*) AS n FROM ${schema}.t`)).rows[0].n),
    drop: async () => {
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Where writeCsv puts an object of the local S3 directory. */
export const localObject = (dataDir: string, bucket: string, key: string) => join(dataDir, "s3", bucket, key);

/** Building blocks for run tests: generated CSV inputs, S3/PostgreSQL flows, slow tables, polling. */
import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type AppflowClient,
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  type ExecutionRecord,
  type SourceFlowConfig,
  type Task,
} from "@aws-sdk/client-appflow";
import pg from "pg";
import { PG_URL } from "./backends.ts";
import { waitFor } from "./server.ts";

export const COLUMNS = [
  "id",
  "name",
  "email",
  "amount",
  "qty",
  "city",
  "country",
  "status",
  "created",
  "note",
];

/** Writes `rows` generated CSV records (10 columns, ~150 bytes each) into the local S3 directory. */
export async function writeCsv(
  dataDir: string,
  bucket: string,
  key: string,
  rows: number,
  startId = 1,
): Promise<void> {
  const file = join(dataDir, "s3", bucket, key);
  mkdirSync(dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once("drain", r)));
  await write(`${COLUMNS.join(",")}\n`);
  let chunk = "";
  for (let i = startId; i < startId + rows; i++) {
    chunk += `${i},name ${i},user${i}@example.com,${(i % 1000) + 0.5},${i % 7},City ${i % 50},Country ${i % 9},${i % 2 ? "active" : "idle"},2024-01-${String((i % 28) + 1).padStart(2, "0")},"note, with comma ${i}"\n`;
    if (chunk.length > 65536) {
      await write(chunk);
      chunk = "";
    }
  }
  await write(chunk);
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

/** Creates an empty bucket in the local S3 directory (destination buckets must exist, as in S3). */
export function makeBucket(dataDir: string, bucket: string): void {
  mkdirSync(join(dataDir, "s3", bucket), { recursive: true });
}

/** Projection + one Map per column: what the AppFlow console generates for a plain copy. */
export function copyTasks(columns = COLUMNS): Task[] {
  return [
    { sourceFields: columns, connectorOperator: { S3: "PROJECTION" }, taskType: "Filter" },
    ...columns.map(
      (c): Task => ({
        sourceFields: [c],
        connectorOperator: { S3: "NO_OP" },
        destinationField: c,
        taskType: "Map",
        taskProperties: { DESTINATION_DATA_TYPE: "string", SOURCE_DATA_TYPE: "string" },
      }),
    ),
  ];
}

export async function createS3ToS3Flow(
  client: AppflowClient,
  flowName: string,
  opts: {
    inBucket: string;
    prefix: string;
    outBucket: string;
    fileType?: "CSV" | "JSON" | "PARQUET";
    singleFile?: boolean;
  },
): Promise<void> {
  await client.send(
    new CreateFlowCommand({
      flowName,
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: csvSource(opts.inBucket, opts.prefix),
      destinationFlowConfigList: [
        {
          connectorType: "S3",
          destinationConnectorProperties: {
            S3: {
              bucketName: opts.outBucket,
              s3OutputFormatConfig: {
                fileType: opts.fileType ?? "CSV",
                aggregationConfig: { aggregationType: opts.singleFile ? "SingleFile" : "None" },
              },
            },
          },
        },
      ],
      tasks: copyTasks(),
    }),
  );
}

/** An S3 source reading the CSV objects under a bucket folder. */
export function csvSource(bucketName: string, bucketPrefix: string): SourceFlowConfig {
  return {
    connectorType: "S3",
    sourceConnectorProperties: {
      S3: { bucketName, bucketPrefix, s3InputFormatConfig: { s3InputFileType: "CSV" } },
    },
  };
}

export async function createPgProfile(client: AppflowClient, name: string): Promise<void> {
  const url = new URL(PG_URL);
  await client.send(
    new CreateConnectorProfileCommand({
      connectorProfileName: name,
      connectorType: "Redshift",
      connectionMode: "Public",
      connectorProfileConfig: {
        connectorProfileProperties: {
          Redshift: {
            databaseUrl: `jdbc:redshift://${url.hostname}:${url.port || 5432}${url.pathname}`,
            bucketName: "sluice-staging",
            roleArn: "arn:aws:iam::000000000000:role/sluice",
          },
        },
        connectorProfileCredentials: {
          Redshift: { username: url.username || "postgres", password: "unused" },
        },
      },
    }),
  );
}

export async function createS3ToPgFlow(
  client: AppflowClient,
  flowName: string,
  opts: { inBucket: string; prefix: string; profile: string; table: string; tasks?: Task[] },
): Promise<void> {
  await client.send(
    new CreateFlowCommand({
      flowName,
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: csvSource(opts.inBucket, opts.prefix),
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
      tasks: opts.tasks ?? copyTasks(),
    }),
  );
}

/**
 * A destination table whose every inserted row (or every INSERT/COPY statement) first sleeps `ms`
 * (a trigger): a run into it is really in progress for as long as the test needs, without any sleep
 * in Sluice's own code. (pg_sleep can't be much finer than a millisecond: for long batches that must
 * still be quick, sleep per statement.)
 */
export interface TestTable {
  /** `schema.rows`, for a flow's `object`. */
  table: string;
  count(): Promise<number>;
  /** COPY statements into the table executing right now (pg_stat_activity): proof a batch is in flight. */
  copiesInFlight(): Promise<number>;
  drop(): Promise<void>;
}

export async function createSlowTable(ms: number, per: "row" | "statement" = "row"): Promise<TestTable> {
  const schema = `d_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`CREATE TABLE ${schema}.rows (${COLUMNS.map((col) => `${col} text`).join(", ")})`);
  if (ms > 0) {
    // A statement-level trigger's result is ignored; a row-level one must return NEW to keep the row.
    await c.query(`CREATE FUNCTION ${schema}.slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(${ms / 1000}); RETURN NEW; END $$`);
    await c.query(
      `CREATE TRIGGER slow BEFORE INSERT ON ${schema}.rows FOR EACH ${per === "row" ? "ROW" : "STATEMENT"} EXECUTE FUNCTION ${schema}.slow()`,
    );
  }
  return tableHandle(c, schema);
}

function tableHandle(c: pg.Client, schema: string): TestTable {
  return {
    table: `${schema}.rows`,
    count: async () => Number((await c.query(`SELECT count(*) AS n FROM ${schema}.rows`)).rows[0].n),
    copiesInFlight: async () =>
      Number(
        (
          await c.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1",
            [`COPY "${schema}"."rows"%`],
          )
        ).rows[0].n,
      ),
    drop: async () => {
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * A destination table that takes its first `openRows` rows, then holds every further row (the COPY
 * in flight waits, inside its transaction) until `open()`: a run into it is in progress, with whole
 * batches committed and the next one in flight, for exactly as long as the test wants. The gate is an
 * advisory lock the helper's own connection holds.
 */
export async function createGatedTable(openRows: number): Promise<TestTable & { open(): Promise<void> }> {
  const schema = `d_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const key = Math.floor(Math.random() * 2 ** 31);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`CREATE TABLE ${schema}.rows (${COLUMNS.map((col) => `${col} text`).join(", ")})`);
  // Rows the COPY already inserted are visible to its own trigger: the gate closes at exactly openRows.
  await c.query(`CREATE FUNCTION ${schema}.gate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT count(*) FROM ${schema}.rows) >= ${openRows} THEN PERFORM pg_advisory_xact_lock_shared(${key}); END IF;
      RETURN NEW;
    END $$`);
  await c.query(
    `CREATE TRIGGER gate BEFORE INSERT ON ${schema}.rows FOR EACH ROW EXECUTE FUNCTION ${schema}.gate()`,
  );
  await c.query("SELECT pg_advisory_lock($1)", [key]);
  let closed = true;
  const open = async () => {
    if (!closed) return;
    closed = false;
    await c.query("SELECT pg_advisory_unlock($1)", [key]);
  };
  const handle = tableHandle(c, schema);
  return {
    ...handle,
    open,
    drop: async () => {
      await open();
      await handle.drop();
    },
  };
}

export async function records(client: AppflowClient, flowName: string): Promise<ExecutionRecord[]> {
  const out = await client.send(new DescribeFlowExecutionRecordsCommand({ flowName, maxResults: 100 }));
  return out.flowExecutions ?? [];
}

export async function runRecord(
  client: AppflowClient,
  flowName: string,
  id: string,
): Promise<ExecutionRecord | undefined> {
  return (await records(client, flowName)).find((r) => r.executionId === id);
}

export async function waitForRun(
  client: AppflowClient,
  flowName: string,
  id: string,
  pred: (r: ExecutionRecord) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<ExecutionRecord> {
  return waitFor(
    async () => {
      const r = await runRecord(client, flowName, id);
      return r && pred(r) ? r : undefined;
    },
    `${what} (run ${id})`,
    timeoutMs,
  );
}

export const isTerminal = (r: ExecutionRecord) =>
  r.executionStatus === "Successful" || r.executionStatus === "Error" || r.executionStatus === "Canceled";

/** Every file below a local bucket (relative keys). */
export function listLocalObjects(dataDir: string, bucket: string): string[] {
  const root = join(dataDir, "s3", bucket);
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p, `${rel}${e}/`);
      else out.push(`${rel}${e}`);
    }
  };
  walk(root, "");
  return out.sort();
}

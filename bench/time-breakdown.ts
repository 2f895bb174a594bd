/**
 * "Where the time goes" for figure 1: the stages of an S3 CSV → PostgreSQL run timed one at a time,
 * in this process, with Sluice's own modules — CSV parse, tasks, COPY text encoding, and the COPY
 * batches themselves (into a fresh table, over two connections: one commits while the other copies, as
 * the destination does). A run overlaps them only partly (one batch read ahead, loads in the background;
 * parse and encode share one thread), so their sum is close to the run time.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Task as SdkTask } from "@aws-sdk/client-appflow";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { copyText } from "../src/connectors/redshift/copy-batch.ts";
import type { FieldValue } from "../src/connectors/types.ts";
import type { Task } from "../src/domain/flow.ts";
import { readCsv } from "../src/formats/csv-reader.ts";
import { compileTasks } from "../src/tasks/index.ts";
import { PG_URL } from "../test/helpers/server.ts";
import { freshTable, maskedCopyTasks } from "./fixture.ts";

export interface Breakdown {
  parseMs: number;
  tasksMs: number;
  encodeMs: number;
  copyMs: number;
  rows: number;
}

export async function timeStages(
  csvFile: string,
  batchRows = 5_000,
  copyRows = 10_000,
  connections = 2,
): Promise<Breakdown> {
  const tasks = compileTasks(toDomainTasks(maskedCopyTasks()));
  const table = await freshTable();
  const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: PG_URL }));
  await Promise.all(clients.map((c) => c.connect()));
  const t = { parseMs: 0, tasksMs: 0, encodeMs: 0, copyMs: 0, rows: 0 };
  let sql = "";
  let pending: FieldValue[][] = [];
  // As the destination does: a batch's COMMIT on one connection overlaps the next batch's COPY on
  // another. The COPY stage is the wall time the pipeline spends waiting for a free connection and
  // for its COPY to be sent, plus the final commits.
  const busy: (Promise<void> | undefined)[] = clients.map(() => undefined);
  let turn = 0;
  const flush = async () => {
    let t0 = performance.now();
    const text = copyText(pending);
    t.encodeMs += performance.now() - t0;
    pending = [];
    t0 = performance.now();
    const i = turn++ % clients.length;
    const c = clients[i]!;
    await busy[i];
    await c.query("BEGIN");
    await pipeline(Readable.from([text]), c.query(copyFrom(sql)));
    busy[i] = c.query("COMMIT").then(() => {});
    t.copyMs += performance.now() - t0;
  };
  try {
    const batches = readCsv(createReadStream(csvFile), batchRows, csvFile);
    let t0 = performance.now();
    for await (const b of batches) {
      t.parseMs += performance.now() - t0;
      const t1 = performance.now();
      const out = tasks.apply(b);
      t.tasksMs += performance.now() - t1;
      sql ||= `COPY ${table.table} (${out.batch.fields.join(", ")}) FROM STDIN`;
      t.rows += out.batch.rows.length;
      for (const r of out.batch.rows) {
        pending.push(r);
        if (pending.length >= copyRows) await flush();
      }
      t0 = performance.now();
    }
    if (pending.length > 0) await flush();
    const t2 = performance.now();
    await Promise.all(busy);
    t.copyMs += performance.now() - t2;
    return t;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await table.drop();
  }
}

/** The SDK's Task (every member optional) as the engine's (what CreateFlow would have validated). */
export function toDomainTasks(tasks: SdkTask[]): Task[] {
  return tasks.map((t) => ({
    ...t,
    sourceFields: t.sourceFields ?? [],
    taskType: t.taskType as Task["taskType"],
    connectorOperator: t.connectorOperator as Record<string, string> | undefined,
  }));
}

/**
 * "Where the time goes" for figure 2: the stages of an S3 CSV → S3 run timed one at a time, in this
 * process, with Sluice's own modules — CSV parse, tasks, and the output encoder (into a sink that only
 * counts bytes). A run overlaps upload with the next batch, but parse, tasks and encoding share one
 * Node thread, so their sum is close to the run's CPU on the event loop.
 */
import { createReadStream } from "node:fs";
import { readCsv } from "../src/formats/csv-reader.ts";
import { createEncoder, type OutputFileType } from "../src/formats/record-encoder.ts";
import { compileTasks } from "../src/tasks/index.ts";
import { copyTasks } from "../test/helpers/flows.ts";
import { toDomainTasks } from "./time-breakdown.ts";

export interface S3Breakdown {
  parseMs: number;
  tasksMs: number;
  encodeMs: number;
  bytes: number;
  rows: number;
}

export async function timeS3Stages(
  csvFile: string,
  format: OutputFileType,
  batchRows = 5_000,
): Promise<S3Breakdown> {
  const tasks = compileTasks(toDomainTasks(copyTasks()));
  const t: S3Breakdown = { parseMs: 0, tasksMs: 0, encodeMs: 0, bytes: 0, rows: 0 };
  const encoder = createEncoder(format, {
    write: (c) => {
      t.bytes += c.length;
    },
  });
  let t0 = performance.now();
  for await (const b of readCsv(createReadStream(csvFile), batchRows, csvFile)) {
    t.parseMs += performance.now() - t0;
    let t1 = performance.now();
    const out = tasks.apply(b);
    t.tasksMs += performance.now() - t1;
    t1 = performance.now();
    await encoder.write(out.batch.fields, out.batch.rows);
    t.encodeMs += performance.now() - t1;
    t.rows += out.batch.rows.length;
    t0 = performance.now();
  }
  const t1 = performance.now();
  await encoder.close();
  t.encodeMs += performance.now() - t1;
  return t;
}

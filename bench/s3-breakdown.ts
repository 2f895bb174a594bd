/**
 * "Where the time goes" for figure 2: the stages of an S3 CSV → S3 run timed one at a time, in this
 * process, with Sluice's own modules — CSV parse, tasks, and the output encoder (into a sink that only
 * counts bytes), its writes and its close apart (the Parquet writer stages rows as CSV text and has
 * DuckDB, in its own process, write the file at close). Parse, tasks and the encoder's writes share the
 * run's thread.
 */
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCsv } from "../src/formats/csv-reader.ts";
import { duckdbProcess } from "../src/formats/duckdb-process.ts";
import { createEncoder, type OutputFileType } from "../src/formats/record-encoder.ts";
import { compileTasks } from "../src/tasks/index.ts";
import { copyTasks } from "../test/helpers/flows.ts";
import { toDomainTasks } from "./time-breakdown.ts";

export interface S3Breakdown {
  parseMs: number;
  tasksMs: number;
  /** The encoder's write calls (for Parquet: staging the rows as CSV text in a temp file). */
  encodeMs: number;
  /** The encoder's close (for Parquet: DuckDB's COPY to Parquet, then reading the file back). */
  closeMs: number;
  bytes: number;
  rows: number;
}

export async function timeS3Stages(
  csvFile: string,
  format: OutputFileType,
  batchRows = 5_000,
): Promise<S3Breakdown> {
  const tasks = compileTasks(toDomainTasks(copyTasks()));
  // A run starts its thread's DuckDB process when its destination opens, beside the first read (see
  // s3-destination.ts); here it is started before the clock, so the stages don't count its start-up.
  if (format === "PARQUET") await duckdbProcess(join(tmpdir(), "sluice-parquet"));
  const t: S3Breakdown = { parseMs: 0, tasksMs: 0, encodeMs: 0, closeMs: 0, bytes: 0, rows: 0 };
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
  t.closeMs = performance.now() - t1;
  return t;
}

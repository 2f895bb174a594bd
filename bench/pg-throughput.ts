/**
 * Figure 1: S3 CSV → PostgreSQL (Redshift connector) through a Filter + Map + Mask flow, timed from
 * StartFlow to Successful as a client sees it, versus psql's \copy of the same file into the same
 * table shape; the notes say where the time goes (time-breakdown.ts).
 */
import { createPgProfile } from "../test/helpers/flows.ts";
import type { TestServer } from "../test/helpers/server.ts";
import { psqlCopy } from "./baselines.ts";
import { checkpointPostgres, createS3ToPgFlow, freshTable, maskedCopyTasks, runToEnd } from "./fixture.ts";
import type { FigureResult } from "./report.ts";
import { fmtCount, fmtMs, median, progress } from "./stats.ts";
import { breakdownNotes, timeStages } from "./time-breakdown.ts";

export interface ThroughputInput {
  server: TestServer;
  /** The generated CSV, also at s3://<bucket>/<prefix>/data.csv of the server's local S3. */
  csvFile: string;
  bucket: string;
  prefix: string;
  rows: number;
  reps: number;
}

const TARGET = 1.5;

export async function benchPgThroughput(input: ThroughputInput): Promise<FigureResult> {
  const { server, rows } = input;
  await createPgProfile(server.client, "bench-pg");
  const sluiceMs: number[] = [];
  const psqlMs: number[] = [];
  /** The run's own clock: data pull start → end (excludes queueing, claim and client polling). */
  const pullMs: number[] = [];
  for (let rep = 0; rep < input.reps; rep++) {
    const t = await freshTable();
    try {
      const flowName = `bench-pg-${rep}`;
      await createS3ToPgFlow(server.client, flowName, {
        inBucket: input.bucket,
        prefix: input.prefix,
        profile: "bench-pg",
        table: t.table,
        tasks: maskedCopyTasks(),
      });
      await checkpointPostgres();
      const run = await runToEnd(server.client, flowName);
      await expectRows(await t.count(), rows, "Sluice");
      sluiceMs.push(run.ms);
      const { dataPullStartTime: from, dataPullEndTime: to } = run.record;
      if (from && to) pullMs.push(to.getTime() - from.getTime());
    } finally {
      await t.drop();
    }
    const b = await freshTable();
    try {
      await checkpointPostgres();
      psqlMs.push(await psqlCopy(input.csvFile, b.table));
      await expectRows(await b.count(), rows, "psql");
    } finally {
      await b.drop();
    }
    progress(`  pg rep ${rep + 1}: sluice ${fmtMs(sluiceMs.at(-1)!)}, psql ${fmtMs(psqlMs.at(-1)!)}`);
  }
  const s = median(sluiceMs);
  const p = median(psqlMs);
  const ratio = s / p;
  const stages = await timeStages(input.csvFile);
  if (stages.records !== rows) throw new Error(`stage timing saw ${stages.records} rows`);
  const notes = [
    "Each rep loads a fresh table with Sluice, then another with psql; each load starts after a " +
      "CHECKPOINT, so neither pays for writing out the pages of the load before it.",
    ...breakdownNotes(stages, s, median(pullMs)),
  ];
  return {
    id: "pg",
    title: `1. S3 CSV → PostgreSQL, ${fmtCount(rows)} rows (Filter + Map ×10 + Mask)`,
    rows: [
      {
        metric: "time, StartFlow → Successful vs psql \\copy",
        sluice: fmtMs(s),
        baseline: fmtMs(p),
        ratio,
        target: `≤ ${TARGET}×`,
        meets: ratio <= TARGET,
      },
      {
        metric: "rows/s",
        sluice: fmtCount((rows / s) * 1000),
        baseline: fmtCount((rows / p) * 1000),
      },
    ],
    raw: { rows, sluiceMs, psqlMs, pullMs, medianSluiceMs: s, medianPsqlMs: p, ratio, stages },
    notes,
  };
}

async function expectRows(got: number, want: number, who: string): Promise<void> {
  if (got !== want) throw new Error(`${who} loaded ${got} rows, expected ${want}`);
}

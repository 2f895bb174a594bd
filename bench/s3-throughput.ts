/**
 * Figure 2: S3 CSV → S3 JSON lines and → S3 Parquet (one output object, SingleFile), versus a plain
 * readline parse writing the same format straight to a file.
 */
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createS3ToS3Flow, listLocalObjects, makeBucket } from "../test/helpers/flows.ts";
import { csvToJsonLines, csvToParquet } from "./baselines.ts";
import { runToEnd } from "./fixture.ts";
import type { ThroughputInput } from "./pg-throughput.ts";
import type { FigureResult, TableRow } from "./report.ts";
import { fmtCount, fmtMs, median, progress } from "./stats.ts";

type Format = "JSON" | "PARQUET";

export async function benchS3Throughput(input: ThroughputInput): Promise<FigureResult> {
  const rows: TableRow[] = [];
  const raw: Record<string, unknown> = {};
  for (const format of ["JSON", "PARQUET"] as const) {
    const r = await benchFormat(input, format);
    raw[format] = r;
    rows.push({
      metric: `→ ${format === "JSON" ? "JSON lines" : "Parquet"}: time (rows/s)`,
      sluice: `${fmtMs(r.sluiceMs)} (${fmtCount((input.rows / r.sluiceMs) * 1000)}/s)`,
      baseline: `${fmtMs(r.baselineMs)} (${fmtCount((input.rows / r.baselineMs) * 1000)}/s)`,
      ratio: r.sluiceMs / r.baselineMs,
    });
  }
  return {
    id: "s3",
    title: `2. S3 CSV → S3, ${fmtCount(input.rows)} rows (Filter + Map ×10, SingleFile) vs readline + write`,
    rows,
    raw,
    notes: [
      "Baseline: `readline` over the same file, a minimal quote-aware split, and JSON lines through an " +
        "fs write stream, or rows appended with @dsnp/parquetjs (UTF8 columns, 10,000-row row groups, " +
        "as Sluice writes them). No tasks in the baseline.",
    ],
  };
}

async function benchFormat(input: ThroughputInput, format: Format) {
  const { server } = input;
  const sluice: number[] = [];
  const baseline: number[] = [];
  for (let rep = 0; rep < input.reps; rep++) {
    const flowName = `bench-s3-${format.toLowerCase()}-${rep}`;
    const outBucket = `out-${format.toLowerCase()}-${rep}`;
    makeBucket(server.dataDir, outBucket);
    await createS3ToS3Flow(server.client, flowName, {
      inBucket: input.bucket,
      prefix: input.prefix,
      outBucket,
      fileType: format,
      singleFile: true,
    });
    const run = await runToEnd(server.client, flowName);
    if (run.record.executionResult?.recordsProcessed !== input.rows)
      throw new Error(`${flowName} processed ${run.record.executionResult?.recordsProcessed} rows`);
    sluice.push(run.ms);
    const objects = listLocalObjects(server.dataDir, outBucket);
    rmSync(join(server.dataDir, "s3", outBucket), { recursive: true, force: true });

    const outFile = join(server.dataDir, `baseline-${rep}.${format === "JSON" ? "jsonl" : "parquet"}`);
    const t0 = performance.now();
    const n =
      format === "JSON"
        ? await csvToJsonLines(input.csvFile, outFile)
        : await csvToParquet(input.csvFile, outFile);
    baseline.push(performance.now() - t0);
    if (n !== input.rows) throw new Error(`baseline wrote ${n} rows, expected ${input.rows}`);
    const size = statSync(outFile).size;
    rmSync(outFile, { force: true });
    progress(
      `  s3 ${format} rep ${rep + 1}: sluice ${fmtMs(sluice.at(-1)!)} (${objects.length} object), ` +
        `baseline ${fmtMs(baseline.at(-1)!)} (${(size / 1e6).toFixed(0)} MB)`,
    );
  }
  return {
    sluiceRuns: sluice,
    baselineRuns: baseline,
    sluiceMs: median(sluice),
    baselineMs: median(baseline),
  };
}

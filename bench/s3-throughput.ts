/**
 * Figure 2: S3 CSV → S3 JSON lines and → S3 Parquet (one output object, SingleFile), versus DuckDB's
 * COPY of the same file (2 threads) in the same run, rep by rep; JSON lines also versus a plain readline
 * loop. Each rep's three timings are taken back to back, so load on the machine hits them alike.
 */
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parquetMetadata } from "hyparquet";
import { createS3ToS3Flow, listLocalObjects, makeBucket } from "../test/helpers/flows.ts";
import { csvToJsonLines, duckdbCopy } from "./baselines.ts";
import { checkpointPostgres, runToEnd } from "./fixture.ts";
import type { ThroughputInput } from "./pg-throughput.ts";
import type { FigureResult, TableRow } from "./report.ts";
import { s3BreakdownNotes, timeS3Stages } from "./s3-breakdown.ts";
import { fmtCount, fmtMs, median, progress } from "./stats.ts";

type Format = "JSON" | "PARQUET";
const TARGET: Record<Format, number> = { JSON: 1.5, PARQUET: 2 };
const SIZE_TARGET = 1.5;

export async function benchS3Throughput(input: ThroughputInput): Promise<FigureResult> {
  const rows: TableRow[] = [];
  const raw: Record<string, unknown> = {};
  const notes: string[] = [
    "Baselines: DuckDB (`@duckdb/node-api`, in process, `threads=2`) running " +
      "`COPY (SELECT * FROM read_csv('<file>')) TO '<out>' (FORMAT parquet | json)` on the same local file, " +
      "timed around the COPY alone; and for JSON lines a `readline` loop with a minimal quote-aware split " +
      "writing through an fs write stream. DuckDB infers column types (BIGINT, DOUBLE, DATE…) and runs no " +
      "tasks; Sluice writes the flow's Filter + 10 Maps, every column a string (preserveSourceDataTyping " +
      "off), through its S3 API into the local bucket. Ratios are medians of per-rep ratios: each rep times " +
      "Sluice and its baselines back to back, after a PostgreSQL CHECKPOINT (figure 1's loads leave pages to write).",
  ];
  for (const format of ["JSON", "PARQUET"] as const) {
    const r = await benchFormat(input, format);
    raw[format] = r;
    const label = format === "JSON" ? "JSON lines" : "Parquet";
    rows.push({
      metric: `→ ${label}: time (rows/s) vs DuckDB COPY`,
      sluice: `${fmtMs(r.sluiceMs)} (${fmtCount((input.rows / r.sluiceMs) * 1000)}/s)`,
      baseline: `${fmtMs(r.duckdbMs)} (${fmtCount((input.rows / r.duckdbMs) * 1000)}/s)`,
      ratio: r.ratio,
      target: `≤ ${TARGET[format]}×`,
      meets: r.ratio <= TARGET[format],
    });
    if (format === "JSON") {
      rows.push({
        metric: "→ JSON lines: time vs readline + fs write",
        sluice: fmtMs(r.sluiceMs),
        baseline: fmtMs(r.readlineMs!),
        ratio: r.readlineRatio!,
      });
    }
    rows.push({
      metric: `→ ${label}: file size vs DuckDB's`,
      sluice: fmtMb(r.sluiceBytes),
      baseline: fmtMb(r.duckdbBytes),
      ratio: r.sluiceBytes / r.duckdbBytes,
      ...(format === "PARQUET"
        ? { target: `≤ ${SIZE_TARGET}×`, meets: r.sluiceBytes / r.duckdbBytes <= SIZE_TARGET }
        : {}),
    });
    notes.push(s3BreakdownNotes(r.stages, format, { label, ...r }));
  }
  return {
    id: "s3",
    title: `2. S3 CSV → S3, ${fmtCount(input.rows)} rows (Filter + Map ×10, SingleFile) vs DuckDB COPY`,
    rows,
    raw,
    notes,
  };
}

const fmtMb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Rows in an output object, counted from the file itself (the run's counts are checked separately). */
function rowsInFile(file: string, format: Format): number {
  const buf = readFileSync(file);
  if (format === "PARQUET") {
    return Number(parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)).num_rows);
  }
  let lines = 0;
  for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) lines++;
  return lines;
}

async function benchFormat(input: ThroughputInput, format: Format) {
  const { server } = input;
  const ext = format === "JSON" ? "jsonl" : "parquet";
  const sluice: number[] = [];
  const duckdb: number[] = [];
  const readline: number[] = [];
  let sluiceBytes = 0;
  let duckdbBytes = 0;
  for (let rep = 0; rep < input.reps; rep++) {
    // Figure 1's loads leave PostgreSQL pages to write: done now, not during this figure's timings.
    await checkpointPostgres();
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
    if (objects.length !== 1) throw new Error(`${flowName} wrote ${objects.length} objects, expected 1`);
    const object = join(server.dataDir, "s3", outBucket, objects[0]!);
    sluiceBytes = statSync(object).size;
    const written = rowsInFile(object, format);
    if (written !== input.rows)
      throw new Error(`${flowName}'s object holds ${written} rows, expected ${input.rows}`);
    rmSync(join(server.dataDir, "s3", outBucket), { recursive: true, force: true });

    const outFile = join(server.dataDir, `duckdb-${rep}.${ext}`);
    duckdb.push(await duckdbCopy(input.csvFile, outFile, format === "JSON" ? "json" : "parquet"));
    duckdbBytes = statSync(outFile).size;
    rmSync(outFile, { force: true });

    let line = `  s3 ${format} rep ${rep + 1}: sluice ${fmtMs(sluice.at(-1)!)} (${fmtMb(sluiceBytes)}), duckdb ${fmtMs(duckdb.at(-1)!)} (${fmtMb(duckdbBytes)})`;
    if (format === "JSON") {
      const rlFile = join(server.dataDir, `readline-${rep}.jsonl`);
      const t0 = performance.now();
      const n = await csvToJsonLines(input.csvFile, rlFile);
      readline.push(performance.now() - t0);
      rmSync(rlFile, { force: true });
      if (n !== input.rows) throw new Error(`readline baseline wrote ${n} rows, expected ${input.rows}`);
      line += `, readline ${fmtMs(readline.at(-1)!)}`;
    }
    progress(line);
  }
  const ratios = sluice.map((s, i) => s / duckdb[i]!);
  const stages = await timeS3Stages(input.csvFile, format);
  if (stages.records !== input.rows) throw new Error(`stage timing saw ${stages.records} rows`);
  return {
    sluiceRuns: sluice,
    duckdbRuns: duckdb,
    readlineRuns: readline,
    sluiceMs: median(sluice),
    duckdbMs: median(duckdb),
    ratios,
    ratio: median(ratios),
    ...(format === "JSON"
      ? { readlineMs: median(readline), readlineRatio: median(sluice.map((s, i) => s / readline[i]!)) }
      : {}),
    sluiceBytes,
    duckdbBytes,
    stages,
  };
}

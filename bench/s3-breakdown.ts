/**
 * "Where the time goes" for figure 2, as a run now spends it (the fast path: Filter + Maps never need a
 * record's values): the source side from fast-path-stages.ts in the output's encoded format (JSON lines,
 * or for Parquet the CSV text DuckDB is given), then the destination side alone — the transcoded
 * records through the file type's encoder into the local store's multipart upload, as the S3
 * destination writes them: appending parts as they fill, then the close (for Parquet: DuckDB's COPY of
 * the staged text to Parquet, in its own process) and the upload's completion.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalObjectStore } from "../src/connectors/s3/local-object-store.ts";
import { ObjectUpload } from "../src/connectors/s3/object-upload.ts";
import { duckdbProcess } from "../src/formats/duckdb-process.ts";
import { createEncoder, type OutputFileType } from "../src/formats/record-encoder.ts";
import { copyTasks } from "../test/helpers/flows.ts";
import {
  cores,
  cpuMs,
  describeSource,
  handOff,
  overlapped,
  type SourceStages,
  sourceCpuMs,
  timeSourceStages,
  transcodeMs,
} from "./fast-path-stages.ts";
import { fmtMs, fmtRatio } from "./stats.ts";

const PARQUET_TEMP = join(tmpdir(), "sluice-parquet");

export interface S3Breakdown extends SourceStages {
  /** The encoder's appends and the part uploads as parts fill (wall, and this process's CPU). */
  writeMs: number;
  writeCpuMs: number;
  /** The encoder's close (Parquet: DuckDB's COPY, the file read into the upload) and the completion. */
  closeMs: number;
  /** The object's size. */
  bytes: number;
}

export async function timeS3Stages(csvFile: string, format: OutputFileType): Promise<S3Breakdown> {
  const encoded = format === "JSON" ? "jsonl" : format === "CSV" ? "csv" : "staging-csv";
  const source = await timeSourceStages(csvFile, copyTasks(), encoded);
  const dataDir = await mkdtemp(join(tmpdir(), "sluice-s3-stages-"));
  const signal = AbortSignal.timeout(600_000);
  try {
    // A run starts its thread's DuckDB process when the destination opens, beside the first read
    // (s3-destination.ts); here before the clock, so its start-up isn't counted.
    // One temp dir for every call, so they share that one process (as a run thread's objects do).
    if (format === "PARQUET") await duckdbProcess(PARQUET_TEMP);
    const store = new LocalObjectStore(dataDir);
    await store.createBucket("out", signal);
    const upload = new ObjectUpload(store, "out", "stages/object");
    const encoder = createEncoder(format, upload, { tempDir: PARQUET_TEMP });
    const c0 = cpuMs();
    let t0 = performance.now();
    for (const e of source.encoded) {
      for (const c of e.chunks) await encoder.writeEncoded!(e.fields, c.data, c.records, e.longestRecord);
      await upload.flushParts(signal);
    }
    const writeMs = performance.now() - t0;
    const writeCpuMs = cpuMs() - c0;
    t0 = performance.now();
    await encoder.close({ signal });
    await upload.complete(signal);
    const closeMs = performance.now() - t0;
    return { ...source.stages, writeMs, writeCpuMs, closeMs, bytes: upload.bytes };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export interface FormatRun {
  label: string;
  sluiceMs: number;
  duckdbMs: number;
  ratios: number[];
}

/** Figure 2's notes on where the time goes for one output format (the run's numbers are medians). */
export function s3BreakdownNotes(st: S3Breakdown, format: OutputFileType, r: FormatRun): string {
  const parquet = format === "PARQUET";
  const into = parquet ? "the CSV text DuckDB is given" : "JSON lines";
  // The destination's appends run on the run's thread, between chunks.
  const stages = overlapped(
    st,
    { name: parquet ? "staging" : "appending and uploading", ms: st.writeMs },
    true,
  );
  const longest = stages.reduce((a, b) => (b.ms > a.ms ? b : a));
  const cpu = sourceCpuMs(st) + st.writeCpuMs;
  const overlapMs = Math.max(longest.ms, cpu / cores());
  const bound = overlapMs + st.closeMs;
  const destination = parquet
    ? `appending that text to the staging file ${fmtMs(st.writeMs)}, then at the object's end DuckDB's COPY ` +
      `of it to Parquet (in its own process) and the file into the upload ${fmtMs(st.closeMs)}`
    : `the JSON lines encoder's appends and the local store's multipart part uploads as parts fill ` +
      `${fmtMs(st.writeMs)}, the last part and the completion ${fmtMs(st.closeMs)}`;
  const overlap =
    `How a run overlaps them: ${handOff(st, "are written")}${st.pooled ? " while the next chunks transcode" : ""}. So those ` +
    `stages take at least the longest of what runs at once — the ${longest.name}, ${fmtMs(longest.ms)} — ` +
    `or the CPU they need, ${fmtMs(cpu)}, over ${cores()} cores: at least ${fmtMs(cpu / cores())}. The object's ` +
    `end (${parquet ? "DuckDB's COPY" : "the last part and the completion"}, ${fmtMs(st.closeMs)}) comes ` +
    `only after the last chunk: ${fmtMs(bound)} in all, against the run's ${fmtMs(r.sluiceMs)} ` +
    `(${fmtRatio(r.sluiceMs / bound)} that). The stages were timed alone on a shared machine, so the ` +
    "estimate can miss either way; the rest is not broken down here " +
    "(the stages contending for the cores at once, the run threads' lower priority on a busy machine, the " +
    "run's start and bookkeeping, the client's 50 ms polling).";
  const remains = parquet
    ? "What remains between Sluice and DuckDB: Sluice's Parquet is written by DuckDB too, from the staged " +
      `text with explicit VARCHAR columns; that COPY alone takes ${fmtRatio(st.closeMs / r.duckdbMs)} ` +
      "DuckDB's whole baseline, which reads the source once on two threads and writes Parquet, while " +
      "Sluice first transcodes the source into text that DuckDB then parses again, and can't start the " +
      "COPY before the last record is staged."
    : "What remains between Sluice and DuckDB: DuckDB reads and writes in C++ on both cores, timed around " +
      `the COPY alone; Sluice's source side alone (cutting and transcoding${st.pooled ? " on the pool" : ", on the run's thread"}) takes ` +
      `${fmtMs(st.chunkMs + transcodeMs(st))}, ${fmtRatio((st.chunkMs + transcodeMs(st)) / r.duckdbMs)} ` +
      `DuckDB's whole time, and ${fmtMs(sourceCpuMs(st))} of CPU.`;
  return (
    `Where the time goes, → ${r.label}: Filter + Maps need no record's values, so a run takes the fast ` +
    "path (docs/architecture.md): no rows of JS strings, the CSV bytes transcoded straight into the " +
    "output's format. Its stages, each timed alone in this process with Sluice's own modules: " +
    `${describeSource(st, into)}; the destination side alone: ${destination}. ${overlap} ${remains} ` +
    `Spread over ${r.ratios.length} rep(s): ratio ${r.ratios.map(fmtRatio).join(", ")}.`
  );
}

/**
 * The source side of a fast-path run (docs/architecture.md "The fast path"), one stage at a time, with
 * Sluice's own modules, for figures 1 and 2's "where the time goes": reading the file and cutting it at
 * record boundaries (csvChunker), transcoding the chunks on this thread (transcode-job's default export,
 * as the run's thread does for small objects), and the same chunks through a ChunkPool of
 * SLUICE_PARSE_THREADS threads, as a run does for this file.
 */
import { createReadStream, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Task as SdkTask } from "@aws-sdk/client-appflow";
import { settings } from "../src/config.ts";
import { LOCAL_READ_BYTES } from "../src/connectors/s3/local-object-store.ts";
import type { EncodedFormat, EncodedRecords } from "../src/connectors/types.ts";
import type { Task } from "../src/domain/flow.ts";
import { ChunkPool } from "../src/engine/chunk-pool.ts";
import { CHUNK_BYTES, MIN_POOL_BYTES } from "../src/engine/fast-path.ts";
import transcodeJob, { type TranscodeJob, type TranscodeOutcome } from "../src/engine/transcode-job.ts";
import { chunkCsv } from "../src/formats/csv-chunker.ts";
import { DEFAULT_MAX_RECORD_MB, MB } from "../src/formats/record-limit.ts";
import { compileTasks } from "../src/tasks/index.ts";
import { fmtMs } from "./stats.ts";

/** fast-path.ts's chunk size and smallest object for a pool (not exported there: a run's choices, not an API). */
const MAX_RECORD = DEFAULT_MAX_RECORD_MB * MB;

export interface SourceStages {
  /** Reading the file and cutting it into chunks (wall and CPU; one thread). */
  chunkMs: number;
  chunkCpuMs: number;
  chunks: number;
  /** Every chunk transcoded on this thread: CPU time (user + system) and wall time. */
  inlineCpuMs: number;
  inlineWallMs: number;
  /** Threads of the pool timed; `runThreads`: SLUICE_PARSE_THREADS, what a run uses. */
  threads: number;
  runThreads: number;
  /** Whether a run transcodes this file on the pool (threads > 1 and an object of 8 MiB or more). */
  pooled: boolean;
  /** The pool's start: bundling the job module and starting the threads, up to the first result. */
  poolStartMs: number;
  /** Every chunk through the started pool, in order (wall), and the CPU all threads spent meanwhile. */
  poolWallMs: number;
  poolCpuMs: number;
  records: number;
  /** Bytes the transcoder wrote (the destination's input). */
  outBytes: number;
}

export interface SourceResult {
  stages: SourceStages;
  /** The destination's fields and the transcoded records, in order, as writeEncoded gets them. */
  fields: string[];
  encoded: EncodedRecords[];
}

/** Parse threads a run uses: SLUICE_PARSE_THREADS, or config.ts's default. */
export function parseThreads(): number {
  const dflt = Number(settings["engine.parseThreads"]?.default ?? 1);
  const n = Number(process.env.SLUICE_PARSE_THREADS ?? dflt);
  return Number.isInteger(n) && n >= 0 ? n : dflt;
}

/** This process's CPU so far (every thread; not child processes), ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function timeSourceStages(
  csvFile: string,
  sdkTasks: SdkTask[],
  format: EncodedFormat,
  runThreads = parseThreads(),
): Promise<SourceResult> {
  // The pool is timed even when runs don't use one (SLUICE_PARSE_THREADS ≤ 1), with 2 threads, to compare.
  const threads = runThreads > 1 ? runThreads : 2;
  const tasks = toDomainTasks(sdkTasks);
  let header: string[] | undefined;
  const bodies: { data: Buffer; sourceBytes: number }[] = [];
  let c0 = cpuMs();
  let t0 = performance.now();
  // Read as a run reads the local S3 directory: in buffers of LOCAL_READ_BYTES.
  for await (const piece of chunkCsv(createReadStream(csvFile, { highWaterMark: LOCAL_READ_BYTES }), {
    targetBytes: CHUNK_BYTES,
    maxRecordBytes: MAX_RECORD,
    name: csvFile,
  })) {
    // The generated file's header is plain names (no quotes): a split is what headerFields would give.
    if ("header" in piece) header = piece.header.toString("utf8").trimEnd().split(",");
    else bodies.push(piece);
  }
  const chunkMs = performance.now() - t0;
  const chunkCpuMs = cpuMs() - c0;
  if (!header) throw new Error(`${csvFile} has no header`);
  const fields = compileTasks(tasks).bytePlan(header)?.fields;
  if (!fields) throw new Error("the figure's tasks are not eligible for the fast path");
  const job = (data: Buffer): TranscodeJob => ({
    tasks,
    fields: header!,
    format,
    maxRecord: MAX_RECORD,
    data,
  });
  const ok = (o: TranscodeOutcome) => {
    if ("error" in o) throw new Error(`transcoding failed: ${o.error.message}`);
    return o;
  };

  // One thread: the first call compiles the transcoder, as a run's first chunk does.
  const encoded: EncodedRecords[] = [];
  c0 = cpuMs();
  t0 = performance.now();
  for (const b of bodies) {
    const o = ok(transcodeJob(job(b.data)));
    encoded.push({
      fields,
      chunks: [{ data: o.data, records: o.records }],
      records: o.records,
      bytes: b.sourceBytes,
      longestRecord: o.longestRecord,
    });
  }
  const inlineWallMs = performance.now() - t0;
  const inlineCpuMs = cpuMs() - c0;

  // The pool takes a job's buffers (they are transferred), so it gets copies, made before the clock.
  let poolStartMs = 0;
  let poolWallMs = 0;
  let poolCpuMs = 0;
  if (threads > 1 && bodies.length > 0) {
    const pool = new ChunkPool<TranscodeJob, TranscodeOutcome>({
      module: new URL("../src/engine/transcode-job.ts", import.meta.url),
      threads,
    });
    try {
      // Start-up as a run pays it: the first chunk's result waits for the bundle and a thread.
      const first = [job(Buffer.from(bodies[0]!.data))];
      t0 = performance.now();
      for await (const o of pool.map(first)) ok(o);
      poolStartMs = performance.now() - t0;
      const jobs = bodies.map((b) => job(Buffer.from(b.data)));
      let n = 0;
      c0 = cpuMs();
      t0 = performance.now();
      for await (const o of pool.map(jobs)) {
        if (ok(o).records !== encoded[n++]!.records) throw new Error("pool and inline results differ");
      }
      poolWallMs = performance.now() - t0;
      poolCpuMs = cpuMs() - c0;
    } finally {
      await pool.close();
    }
  }
  const stages: SourceStages = {
    chunkMs,
    chunkCpuMs,
    chunks: bodies.length,
    inlineCpuMs,
    inlineWallMs,
    threads,
    runThreads,
    pooled: runThreads > 1 && statSync(csvFile).size >= MIN_POOL_BYTES,
    poolStartMs,
    poolWallMs,
    poolCpuMs,
    records: encoded.reduce((n, e) => n + e.records, 0),
    outBytes: encoded.reduce((n, e) => n + e.chunks.reduce((m, c) => m + c.data.length, 0), 0),
  };
  return { stages, fields, encoded };
}

/** The source stages in words, `into` naming the format ("COPY text"). */
export function describeSource(st: SourceStages, into: string): string {
  const pool =
    st.threads > 1
      ? `; over a pool of ${st.threads} threads ${fmtMs(st.poolWallMs)} (${fmtMs(st.poolCpuMs)} of CPU in all ` +
        `threads), after ${fmtMs(st.poolStartMs)} for the pool to start and return its first chunk` +
        (st.pooled
          ? ""
          : st.runThreads <= 1
            ? ` (a run doesn't use one: SLUICE_PARSE_THREADS is ${st.runThreads})`
            : " (a run doesn't use it here: the object is under 8 MiB)")
      : "";
  return (
    `reading the file and cutting it at record boundaries into ${st.chunks} chunks of ~512 KiB ` +
    `${fmtMs(st.chunkMs)}; transcoding them into ${into} on one thread ${fmtMs(st.inlineCpuMs)} of CPU ` +
    `(${fmtMs(st.inlineWallMs)} wall)${pool}`
  );
}

/** How a run's thread moves the chunks, pooled or not; `then` is what happens to the results. */
export const handOff = (st: SourceStages, then: string) =>
  st.pooled
    ? `the run's thread reads and cuts the object and hands the chunks to ${st.threads} pool threads (at most ` +
      `${st.threads + 1} in flight); in order, the results ${then}`
    : `the run's thread reads, cuts and transcodes the object itself, chunk by chunk; the results ${then}`;

/**
 * The stages a run overlaps: with a pool, reading, transcoding and `rest` apart; without one, reading
 * and transcoding are the run thread's in turn (and `rest` too, when `restOnRunThread`).
 */
export function overlapped(
  st: SourceStages,
  rest: { name: string; ms: number },
  restOnRunThread: boolean,
): { name: string; ms: number }[] {
  if (st.pooled)
    return [
      { name: "reading and cutting", ms: st.chunkMs },
      { name: "transcoding", ms: st.poolWallMs },
      rest,
    ];
  const own = st.chunkMs + st.inlineWallMs + (restOnRunThread ? rest.ms : 0);
  const name = `run's thread (reading, cutting, transcoding${restOnRunThread ? `, ${rest.name}` : ""})`;
  return restOnRunThread ? [{ name, ms: own }] : [{ name, ms: own }, rest];
}

/** The transcoding stage as a run does it: the pool's wall time when it uses one, else one thread's. */
export const transcodeMs = (st: SourceStages) => (st.pooled ? st.poolWallMs : st.inlineWallMs);
/** CPU the run spends on the source side (chunking, and transcoding on the pool or inline). */
export const sourceCpuMs = (st: SourceStages) => st.chunkCpuMs + (st.pooled ? st.poolCpuMs : st.inlineCpuMs);
export const cores = () => availableParallelism();

/** The SDK's Task (every member optional) as the engine's (what CreateFlow would have validated). */
export function toDomainTasks(tasks: SdkTask[]): Task[] {
  return tasks.map((t) => ({
    ...t,
    sourceFields: t.sourceFields ?? [],
    taskType: t.taskType as Task["taskType"],
    connectorOperator: t.connectorOperator as Record<string, string> | undefined,
  }));
}

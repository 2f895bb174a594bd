/**
 * `npm run bench [-- --quick]`: every figure against a baseline measured in the same run, printed as
 * one Markdown table and written to bench/results/<date>.json and docs/benchmarks.md.
 */
import { writeCsv } from "../test/helpers/flows.ts";
import { startTestServer } from "../test/helpers/server.ts";
import { benchApi } from "./api.ts";
import { benchApiDuringRun } from "./api-during-run.ts";
import { benchCancel } from "./cancel.ts";
import { localObject } from "./fixture.ts";
import { benchMemory } from "./memory.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { benchPgThroughput } from "./pg-throughput.ts";
import {
  type FigureResult,
  machineInfo,
  renderNotes,
  renderTable,
  writeDocs,
  writeResults,
} from "./report.ts";
import { benchS3Throughput } from "./s3-throughput.ts";
import { fmtMs, progress } from "./stats.ts";

async function throughputFigures(opts: BenchOptions): Promise<FigureResult[]> {
  const server = await startTestServer("sqlite", { throttle: highThrottle });
  try {
    progress(`generating ${opts.rows} CSV rows…`);
    await writeCsv(server.dataDir, "bench-in", "data/data.csv", opts.rows);
    const input = {
      server,
      csvFile: localObject(server.dataDir, "bench-in", "data/data.csv"),
      bucket: "bench-in",
      prefix: "data",
      rows: opts.rows,
      reps: opts.reps,
    };
    const out: FigureResult[] = [];
    if (opts.only.includes("pg")) {
      progress("figure 1: S3 → PostgreSQL");
      out.push(await benchPgThroughput(input));
    }
    if (opts.only.includes("s3")) {
      progress("figure 2: S3 → S3");
      out.push(await benchS3Throughput(input));
    }
    return out;
  } finally {
    await server.close();
  }
}

/** Bench servers must not throttle their own load generator. */
export const highThrottle = {
  readRate: { rate: 1e6, burst: 1e6 },
  writeRate: { rate: 1e6, burst: 1e6 },
};

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const figures: FigureResult[] = [];
  if (opts.only.includes("pg") || opts.only.includes("s3")) figures.push(...(await throughputFigures(opts)));
  if (opts.only.includes("memory")) {
    progress("figure 3: memory");
    figures.push(await benchMemory(opts));
  }
  if (opts.only.includes("api")) {
    progress("figure 4: API");
    figures.push(await benchApi(opts));
  }
  if (opts.only.includes("api-run")) {
    progress("figure 6: API during a run");
    figures.push(await benchApiDuringRun(opts));
  }
  if (opts.only.includes("cancel")) {
    progress("figure 5: cancel latency");
    figures.push(await benchCancel(opts));
  }
  const durationMs = performance.now() - started;
  const machine = machineInfo();
  console.log(renderTable(figures));
  console.log(`\n${renderNotes(figures)}`);
  console.log(
    `\n${machine.cores} cores, ${machine.cpuModel}, Node.js ${machine.node}; ${opts.reps} rep(s); took ${fmtMs(durationMs)}`,
  );
  if (opts.write) {
    const info = {
      date: new Date().toISOString().slice(0, 10),
      quick: opts.quick,
      reps: opts.reps,
      durationMs,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    };
    progress(`wrote ${writeResults(info, machine, figures)}`);
    progress(`wrote ${writeDocs(info, machine, figures)}`);
  }
}

main().then(
  // Pools and agents of the figures are closed; exit anyway so a stray handle can't hang CI.
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

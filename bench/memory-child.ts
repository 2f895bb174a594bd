/**
 * One memory sample, in its own process so the peak RSS belongs to one run: starts Sluice on the
 * given data dir (the CSV is already in its local S3), runs one flow to the end, prints one JSON line.
 * Usage: node --import tsx bench/memory-child.ts <dataDir> <rows> <json|pg>
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { startSluice } from "../src/main.ts";
import { createPgProfile, createS3ToS3Flow, makeBucket } from "../test/helpers/flows.ts";
import { appflowClient } from "../test/helpers/server.ts";
import { createS3ToPgFlow, freshTable, maskedCopyTasks, runToEnd } from "./fixture.ts";

export interface MemorySample {
  rows: number;
  target: string;
  runMs: number;
  /** RSS once the server is up, before the run (MB). */
  idleRssMb: number;
  /** Peak RSS of the whole process (MB), from getrusage. */
  peakRssMb: number;
  peakHeapUsedMb: number;
}

async function main(): Promise<void> {
  const [dataDir, rowsArg, target] = process.argv.slice(2);
  if (!dataDir || !rowsArg || (target !== "json" && target !== "pg"))
    throw new Error("usage: memory-child.ts <dataDir> <rows> <json|pg>");
  const config = loadConfig({ port: 0, dataDir, logLevel: "silent" }, {});
  const sluice = await startSluice(config, createLogger("silent"));
  const client = appflowClient(sluice.url);
  // Heap is sampled while the run goes: getrusage gives the RSS peak, not the heap's.
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const table = target === "pg" ? await freshTable() : undefined;
  try {
    const idleRss = process.memoryUsage().rss;
    // The data dir (and its SQLite state) is shared by the repetitions: names must be new each time.
    const flowName = `mem-${randomUUID().slice(0, 8)}`;
    if (table) {
      await createPgProfile(client, flowName);
      await createS3ToPgFlow(client, flowName, {
        inBucket: "mem-in",
        prefix: "data",
        profile: flowName,
        table: table.table,
        tasks: maskedCopyTasks(),
      });
    } else {
      makeBucket(dataDir, "mem-out");
      await createS3ToS3Flow(client, flowName, {
        inBucket: "mem-in",
        prefix: "data",
        outBucket: "mem-out",
        fileType: "JSON",
        singleFile: true,
      });
    }
    const run = await runToEnd(client, flowName);
    const rows = Number(rowsArg);
    if (run.record.executionResult?.recordsProcessed !== rows)
      throw new Error(`processed ${run.record.executionResult?.recordsProcessed} of ${rows} rows`);
    const sample: MemorySample = {
      rows,
      target,
      runMs: run.ms,
      idleRssMb: idleRss / 1024 / 1024,
      peakRssMb: peakRssKb() / 1024,
      peakHeapUsedMb: peakHeap / 1024 / 1024,
    };
    process.stdout.write(`${JSON.stringify(sample)}\n`);
  } finally {
    clearInterval(sampler);
    client.destroy();
    await sluice.stop(0);
    await table?.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * This process's peak RSS in KB: VmHWM on Linux. getrusage's maxRSS is not used there: Linux carries it
 * over fork and exec, so a child of a large bench process reports at least the parent's RSS.
 */
function peakRssKb(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (hwm) return Number(hwm);
  } catch {
    // Not Linux.
  }
  return process.resourceUsage().maxRSS;
}

/**
 * Figure 4: DescribeFlowExecutionRecords and ListFlows (full pages of 100) with `runs` runs and `flows`
 * flows stored, from `concurrency` signed-request loops, versus a bare node:http server answering
 * the same bytes. Both servers run in their own process; the load generator is this process.
 * Sluice is measured twice on the same data: as configured by default (nothing is written during the
 * load, so its response cache answers), and with SLUICE_API_CACHE_MB=0, so every request reads the
 * store as it does after each write (e.g. while runs report progress).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type LoadResult,
  loadTest,
  type ServerChild,
  signedPost,
  startServerChild,
  untilQuiet,
} from "./api-load.ts";
import type { BenchOptions } from "./options.ts";
import type { FigureResult, TableRow } from "./report.ts";
import { fmtCount, fmtMs, median, progress } from "./stats.ts";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "api-server-child.ts");
/** The flow whose runs are listed; api-server-child.ts names the others after it. */
const HOT_FLOW = "api-0000";

const OPERATIONS = [
  {
    name: "DescribeFlowExecutionRecords",
    path: "/describe-flow-execution-records",
    json: JSON.stringify({ flowName: HOT_FLOW, maxResults: 100 }),
    items: "flowExecutions",
    /** The bar: at least this fraction of the bare server's rate. */
    bar: 0.3,
  },
  {
    name: "ListFlows",
    path: "/list-flows",
    json: JSON.stringify({ maxResults: 100 }),
    items: "flows",
    bar: 0.2,
  },
] as const;

/** Seconds of load per operation before the measured ones: V8 was still optimizing after 1 s. */
const WARM_UP_S = 3;

type Mode = "cached" | "uncached";
const MODES: Record<Mode, string> = {
  cached: "answered from the cache (nothing written during the load)",
  uncached: "read from the store every time (SLUICE_API_CACHE_MB=0)",
};

/** Loads `server` and reports the server's CPU time per request too (the steadier figure). */
async function measure(
  server: ServerChild,
  op: (typeof OPERATIONS)[number],
  concurrency: number,
  seconds: number,
) {
  const before = server.cpuMs();
  const r = await loadTest(server.url, op.path, op.json, concurrency, seconds);
  const after = server.cpuMs();
  const cpuPerRequestMs = before === undefined || after === undefined ? undefined : (after - before) / r.sent;
  return { ...r, cpuPerRequestMs };
}
type Sample = LoadResult & { cpuPerRequestMs: number | undefined };

async function bodiesOf(url: string): Promise<Record<string, string>> {
  const agent = new Agent({ keepAlive: true });
  const out: Record<string, string> = {};
  try {
    for (const op of OPERATIONS) {
      const res = await signedPost(agent, new URL(url), op.path, op.json);
      if (res.status !== 200)
        throw new Error(`${op.name} answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
      out[op.path] = res.body.toString();
    }
  } finally {
    agent.destroy();
  }
  return out;
}

export async function benchApi(opts: BenchOptions): Promise<FigureResult> {
  const { flows, runs, concurrency, seconds } = opts.api;
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-api-"));
  const children: ServerChild[] = [];
  const raw: Record<string, unknown> = {};
  const rows: TableRow[] = [];
  const samples: Record<string, Record<Mode | "bare", Sample[]>> = {};
  try {
    progress(`  seeding ${flows} flows and ${runs} runs…`);
    const t0 = performance.now();
    const seeded = await startServerChild(
      child,
      ["sluice", join(dir, "data"), String(flows), String(runs), HOT_FLOW],
      join(here, ".."),
    );
    children.push(seeded);
    progress(`  seeded in ${fmtMs(performance.now() - t0)}`);
    const bodies = await bodiesOf(seeded.url);
    for (const op of OPERATIONS) {
      const n = (JSON.parse(bodies[op.path]!) as Record<string, unknown[]>)[op.items]?.length;
      if (n !== Math.min(100, op.name === "ListFlows" ? flows : runs / 2))
        throw new Error(`${op.name} answered ${n} items: ${bodies[op.path]!.slice(0, 300)}`);
    }
    writeFileSync(join(dir, "bodies.json"), JSON.stringify(bodies));
    const bare = await startServerChild(child, ["bare", join(dir, "bodies.json")], join(here, ".."));
    children.push(bare);
    for (const op of OPERATIONS) samples[op.name] = { cached: [], uncached: [], bare: [] };

    for (const mode of ["cached", "uncached"] as const) {
      let sluice = seeded;
      if (mode === "uncached") {
        await seeded.stop();
        sluice = await startServerChild(child, ["reuse", join(dir, "data"), "0"], join(here, ".."));
        children.push(sluice);
        const again = await bodiesOf(sluice.url);
        for (const op of OPERATIONS)
          if (again[op.path] !== bodies[op.path]) throw new Error(`${op.name}: the uncached answer differs`);
      }
      // Measured in steady state: once the server has finished starting, and after a first load of
      // each operation, not counted, in which the JIT compiles the request path.
      await untilQuiet(sluice);
      for (const op of OPERATIONS) await loadTest(sluice.url, op.path, op.json, concurrency, WARM_UP_S, 0);
      for (const op of OPERATIONS) {
        const s = samples[op.name]!;
        for (let rep = 0; rep < opts.reps; rep++) {
          s[mode].push(await measure(sluice, op, concurrency, seconds));
          s.bare.push(await measure(bare, op, concurrency, seconds));
          const [a, b] = [s[mode].at(-1)!, s.bare.at(-1)!];
          progress(
            `  ${op.name} ${mode} rep ${rep + 1}: sluice ${a.rps.toFixed(0)}/s p99 ${fmtMs(a.p99Ms)} ` +
              `cpu ${a.cpuPerRequestMs?.toFixed(3) ?? "?"} ms/request, bare ${b.rps.toFixed(0)}/s p99 ${fmtMs(b.p99Ms)} ` +
              `cpu ${b.cpuPerRequestMs?.toFixed(3) ?? "?"} ms/request`,
          );
        }
        if (s[mode].some((r) => r.errors > 0)) throw new Error(`${op.name}: requests to Sluice failed`);
      }
    }

    for (const op of OPERATIONS) {
      const s = samples[op.name]!;
      raw[op.name] = s;
      const size = `${(Buffer.byteLength(bodies[op.path]!) / 1024).toFixed(0)} KB`;
      const br = median(s.bare.map((r) => r.rps));
      const bp = median(s.bare.map((r) => r.p99Ms));
      const bc = median(s.bare.map((r) => r.cpuPerRequestMs ?? Number.NaN));
      for (const mode of ["cached", "uncached"] as const) {
        const sr = median(s[mode].map((r) => r.rps));
        const sp = median(s[mode].map((r) => r.p99Ms));
        const sc = median(s[mode].map((r) => r.cpuPerRequestMs ?? Number.NaN));
        const ratio = br / sr;
        rows.push(
          {
            metric: `${op.name} (page of 100, ${size}), ${MODES[mode]}: requests/s`,
            sluice: fmtCount(sr),
            baseline: fmtCount(br),
            ratio,
            target: `≥ ${op.bar}× its rate (≤ ${(1 / op.bar).toFixed(1)}×)`,
            meets: ratio <= 1 / op.bar,
          },
          {
            metric: `${op.name}, ${mode}: p99 latency`,
            sluice: fmtMs(sp),
            baseline: fmtMs(bp),
            ratio: sp / bp,
          },
          {
            metric: `${op.name}, ${mode}: server CPU per request`,
            sluice: Number.isNaN(sc) ? "—" : `${sc.toFixed(2)} ms`,
            baseline: Number.isNaN(bc) ? "—" : `${bc.toFixed(2)} ms`,
            ratio: Number.isNaN(sc) || Number.isNaN(bc) ? undefined : sc / bc,
          },
        );
      }
    }
  } finally {
    for (const c of children) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: "api",
    title: `4. API with ${fmtCount(flows)} flows / ${fmtCount(runs)} runs stored, ${concurrency} signed loops vs bare node:http`,
    rows,
    raw,
    notes: NOTES(concurrency, seconds),
  };
}

const NOTES = (concurrency: number, seconds: number) => [
  `Sluice on SQLite in its own process, throttling set out of the way; ${concurrency} loops in the bench ` +
    `process sign every request (SigV4, node:crypto SHA-256) and send it over keep-alive connections ` +
    `for ${seconds} s, once the server has gone idle after starting and ${WARM_UP_S} s of uncounted load ` +
    "of each operation has warmed its JIT (each rep also starts with 0.5 s uncounted). The baseline " +
    "is a bare node:http server in its own process " +
    "answering the very bytes Sluice answered, with the same client. Half of the runs belong to the " +
    "queried flow. On 2 cores the client and the server share the CPU, so the baseline's rate is " +
    "partly bounded by the client; the server's CPU time per request (from /proc) is the steadier figure.",
  "Cached: on SQLite this process is the store's only writer, and the store counts every statement that " +
    "may write; ListFlows and DescribeFlowExecutionRecords answers are kept (per account and input, " +
    "4 MB by default) and served again until the next write of any kind, so an answer is never older " +
    "than the last write. Authentication (SigV4), throttling, validation and authorization still run " +
    "for every request. Nothing is written during this load, so nearly every answer comes from the " +
    "cache; while runs report progress (a write per batch and heartbeat) most reads are the uncached kind.",
  "Uncached — where the time goes (node --cpu-prof of the server during the load): both pages come " +
    "from the database as JSON text, so better-sqlite3 hands back a string per item instead of a JS value " +
    "per column, and each page is one statement compiled once, not by Kysely per request. " +
    "DescribeFlowExecutionRecords reads each run's ExecutionRecord as stored: triggers rewrite it whenever " +
    "its run changes (src/store/runs/record-json-sql.ts), so a page formats nothing; it checks the flow " +
    "exists without reading its definition. ListFlows writes each item with one printf of its columns " +
    "(src/store/flows-page.ts), its tags and latest run (one index probe per flow) subqueries of it. " +
    "SQL is about a quarter of DescribeFlowExecutionRecords' server time (two fifths before the records " +
    "were stored) and the socket write about a sixth (the baseline pays it too); SigV4, zod validation " +
    "and the HTTP pipeline are a few percent each.",
];

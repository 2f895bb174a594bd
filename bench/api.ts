/**
 * Figure 4: DescribeFlowExecutionRecords and ListFlows (full pages of 100) with `runs` runs and `flows`
 * flows stored, from `concurrency` signed-request loops, versus a bare node:http server answering
 * the same bytes. Both servers run in their own process; the load generator is this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LoadResult, loadTest, type ServerChild, signedPost, startServerChild } from "./api-load.ts";
import type { BenchOptions } from "./options.ts";
import type { FigureResult, TableRow } from "./report.ts";
import { fmtCount, fmtMs, median, progress } from "./stats.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** The flow whose runs are listed; api-server-child.ts names the others after it. */
const HOT_FLOW = "api-0000";

const OPERATIONS = [
  {
    name: "DescribeFlowExecutionRecords",
    path: "/describe-flow-execution-records",
    json: JSON.stringify({ flowName: HOT_FLOW, maxResults: 100 }),
    items: "flowExecutions",
  },
  { name: "ListFlows", path: "/list-flows", json: JSON.stringify({ maxResults: 100 }), items: "flows" },
] as const;

export async function benchApi(opts: BenchOptions): Promise<FigureResult> {
  const { flows, runs, concurrency, seconds } = opts.api;
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-api-"));
  let sluice: ServerChild | undefined;
  let bare: ServerChild | undefined;
  const raw: Record<string, unknown> = {};
  const rows: TableRow[] = [];
  try {
    progress(`  seeding ${flows} flows and ${runs} runs…`);
    const t0 = performance.now();
    sluice = await startServerChild(
      join(here, "api-server-child.ts"),
      ["sluice", join(dir, "data"), String(flows), String(runs), HOT_FLOW],
      join(here, ".."),
    );
    progress(`  seeded in ${fmtMs(performance.now() - t0)}`);
    const bodies: Record<string, string> = {};
    const pageItems: Record<string, number> = {};
    const agent = new Agent({ keepAlive: true });
    for (const op of OPERATIONS) {
      const res = await signedPost(agent, new URL(sluice.url), op.path, op.json);
      const parsed = JSON.parse(res.body.toString()) as Record<string, unknown[]>;
      if (
        res.status !== 200 ||
        !(parsed[op.items]?.length === Math.min(100, op.name === "ListFlows" ? flows : runs / 2))
      )
        throw new Error(`${op.name} answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
      bodies[op.path] = res.body.toString();
      pageItems[op.name] = parsed[op.items]?.length ?? 0;
    }
    agent.destroy();
    writeFileSync(join(dir, "bodies.json"), JSON.stringify(bodies));
    bare = await startServerChild(
      join(here, "api-server-child.ts"),
      ["bare", join(dir, "bodies.json")],
      join(here, ".."),
    );

    for (const op of OPERATIONS) {
      const s: LoadResult[] = [];
      const b: LoadResult[] = [];
      for (let rep = 0; rep < opts.reps; rep++) {
        s.push(await loadTest(sluice.url, op.path, op.json, concurrency, seconds));
        b.push(await loadTest(bare.url, op.path, op.json, concurrency, seconds));
        progress(
          `  ${op.name} rep ${rep + 1}: sluice ${s.at(-1)!.rps.toFixed(0)}/s p99 ${fmtMs(s.at(-1)!.p99Ms)}, ` +
            `bare ${b.at(-1)!.rps.toFixed(0)}/s p99 ${fmtMs(b.at(-1)!.p99Ms)}`,
        );
      }
      const errors = s.reduce((n, r) => n + r.errors, 0);
      if (errors > 0) throw new Error(`${op.name}: ${errors} requests to Sluice failed`);
      const sr = median(s.map((r) => r.rps));
      const br = median(b.map((r) => r.rps));
      const sp = median(s.map((r) => r.p99Ms));
      const bp = median(b.map((r) => r.p99Ms));
      raw[op.name] = { sluice: s, bare: b };
      const size = `${(Buffer.byteLength(bodies[op.path]!) / 1024).toFixed(0)} KB`;
      rows.push(
        {
          metric: `${op.name} (page of ${pageItems[op.name]}, ${size}): requests/s`,
          sluice: fmtCount(sr),
          baseline: fmtCount(br),
          ratio: br / sr,
        },
        { metric: `${op.name}: p99 latency`, sluice: fmtMs(sp), baseline: fmtMs(bp), ratio: sp / bp },
      );
    }
  } finally {
    await sluice?.stop();
    await bare?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: "api",
    title: `4. API with ${fmtCount(flows)} flows / ${fmtCount(runs)} runs stored, ${concurrency} signed loops vs bare node:http`,
    rows,
    raw,
    notes: [
      `Sluice on SQLite in its own process, throttling set out of the way; ${concurrency} loops in the bench ` +
        `process sign every request (SigV4, node:crypto SHA-256) and send it over keep-alive connections ` +
        `for ${seconds} s after a 0.5 s warm-up. The baseline is a bare node:http server in its own process ` +
        "answering the very bytes Sluice answered, with the same client. Half of the runs belong to the " +
        "queried flow. On 2 cores the client and the server share the CPU, so the baseline's rate is " +
        "partly bounded by the client.",
      "Where the time goes (node --cpu-prof of the server during the load, and its CPU time per request): " +
        "about half is inside better-sqlite3, which makes a JS value of every selected column of every " +
        "row (so the lists select only what the responses show); about a tenth is the socket write (the " +
        "baseline pays it too); Kysely compiling each query, JSON serialization, SigV4 (signers and their " +
        "derived keys reused per key and region) and zod validation are 2–4 % each. ListFlows reads each " +
        "flow's latest run with one index probe per flow. On this shared machine the rates swing several-" +
        "fold between repetitions; the server's CPU time per request is the steadier figure.",
    ],
  };
}

/**
 * Figure 5: cancel latency. Runs are cancelled mid-flight (after their first records, plus a random
 * 0–300 ms) while two background runs keep workers and CPU busy, for S3 → S3 Parquet (streaming) and
 * for S3 → a slow PostgreSQL table (batch commits: the batch in flight finishes first).
 * Two clocks: the client's (CancelFlowExecutions sent → DescribeFlowExecutionRecords shows Canceled,
 * polled every 50 ms) and the store's (runs.ended_at − runs.cancel_requested_at).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { CancelFlowExecutionsCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import {
  createPgProfile,
  createS3ToS3Flow,
  isTerminal,
  makeBucket,
  runRecord,
  writeCsv,
} from "../test/helpers/flows.ts";
import { startTestServer, type TestServer } from "../test/helpers/server.ts";
import { createS3ToPgFlow, freshTable, maskedCopyTasks, runToEnd } from "./fixture.ts";
import type { BenchOptions } from "./options.ts";
import type { FigureResult, TableRow } from "./report.ts";
import { fmtMs, percentile, progress, sleep } from "./stats.ts";

const TARGET_MS = 500;
/** Each COPY batch into the slow table sleeps this long before its rows go in. */
const SLOW_MS_PER_BATCH = 500;

interface Sample {
  clientMs: number;
  storeMs: number;
}

export async function benchCancel(opts: BenchOptions): Promise<FigureResult> {
  const server = await startTestServer("sqlite", {
    throttle: { readRate: { rate: 1e6, burst: 1e6 }, writeRate: { rate: 1e6, burst: 1e6 } },
  });
  const slow = await freshTable(SLOW_MS_PER_BATCH);
  let stopBackground = false;
  let background: Promise<unknown> | undefined;
  const raw: Record<string, unknown> = {};
  const rows: TableRow[] = [];
  try {
    const c = server.client;
    await writeCsv(server.dataDir, "cin", "data/data.csv", opts.cancel.inputRows);
    for (const b of ["bg-0", "bg-1", "victim"]) makeBucket(server.dataDir, b);
    for (const b of ["bg-0", "bg-1"])
      await createS3ToS3Flow(c, b, {
        inBucket: "cin",
        prefix: "data",
        outBucket: b,
        fileType: "JSON",
        singleFile: true,
      });
    await createS3ToS3Flow(c, "victim-s3", {
      inBucket: "cin",
      prefix: "data",
      outBucket: "victim",
      fileType: "PARQUET",
      singleFile: true,
    });
    await createPgProfile(c, "cancel-pg");
    await createS3ToPgFlow(c, "victim-pg", {
      inBucket: "cin",
      prefix: "data",
      profile: "cancel-pg",
      table: slow.table,
      tasks: maskedCopyTasks(),
    });
    background = Promise.all(
      ["bg-0", "bg-1"].map(async (flow) => {
        while (!stopBackground) {
          await runToEnd(c, flow, 10 * 60_000, 200);
          rmSync(join(server.dataDir, "s3", flow), { recursive: true, force: true });
          makeBucket(server.dataDir, flow);
        }
      }),
    );
    for (const [flow, label, target] of [
      ["victim-s3", "S3 → S3 Parquet (streaming)", true],
      ["victim-pg", "S3 → slow PostgreSQL (batch commits)", false],
    ] as const) {
      const samples: Sample[] = [];
      // The server runs in this process: its event-loop delay is what an API request waits behind.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      while (samples.length < opts.cancel.runs) {
        const pair = await Promise.all([cancelOne(server, flow), cancelOne(server, flow)]);
        for (const s of pair) if (s && samples.length < opts.cancel.runs) samples.push(s);
      }
      loopDelay.disable();
      const lag = {
        p50Ms: loopDelay.percentile(50) / 1e6,
        p99Ms: loopDelay.percentile(99) / 1e6,
        maxMs: loopDelay.max / 1e6,
      };
      progress(
        `  ${flow}: ${samples.length} cancels, client p99 ${fmtMs(
          percentile(
            samples.map((s) => s.clientMs),
            99,
          ),
        )}, ` + `event-loop delay p99 ${fmtMs(lag.p99Ms)}`,
      );
      const p = (k: keyof Sample, q: number) =>
        percentile(
          samples.map((s) => s[k]),
          q,
        );
      const fmt = (k: keyof Sample) =>
        `p50 ${fmtMs(p(k, 50))} / p95 ${fmtMs(p(k, 95))} / p99 ${fmtMs(p(k, 99))}`;
      raw[flow] = { samples, eventLoopDelay: lag };
      rows.push(
        {
          metric: `${label}: client, cancel sent → Canceled seen`,
          sluice: fmt("clientMs"),
          baseline: "—",
          ...(target ? { target: "p99 < 500 ms", meets: p("clientMs", 99) < TARGET_MS } : {}),
        },
        { metric: `${label}: store, ended_at − cancel_requested_at`, sluice: fmt("storeMs"), baseline: "—" },
        {
          metric: `${label}: server event-loop delay meanwhile`,
          sluice: `p50 ${fmtMs(lag.p50Ms)} / p99 ${fmtMs(lag.p99Ms)} / max ${fmtMs(lag.maxMs)}`,
          baseline: "—",
        },
      );
    }
  } finally {
    stopBackground = true;
    await background?.catch(() => {});
    await server.close();
    await slow.drop();
  }
  return {
    id: "cancel",
    title: `5. Cancel latency, ${opts.cancel.runs} runs per destination, 2 busy background runs, 4 workers`,
    rows,
    raw,
    notes: [
      `Each cancelled run reads ${opts.cancel.inputRows.toLocaleString("en")} CSV rows and is cancelled once it has processed records, ` +
        "after a further random 0–300 ms; two at a time, while two S3 → S3 JSON runs restart in a loop. " +
        `The slow table sleeps ${SLOW_MS_PER_BATCH} ms per COPY statement (a statement trigger), so each 10,000-row ` +
        "batch is in flight for over half a second; the batch destination lets the batch in flight commit " +
        "before it stops (as documented), so that latency is bounded by the batch time. " +
        "The client figure includes the CancelFlowExecutions round trip and up to 50 ms of polling.",
    ],
  };
}

/** Starts a run, cancels it mid-flight; undefined when the run ended before the cancel reached it. */
async function cancelOne(server: TestServer, flowName: string): Promise<Sample | undefined> {
  const c = server.client;
  const { executionId } = await c.send(new StartFlowCommand({ flowName }));
  const id = executionId!;
  await until(async () => {
    const r = await runRecord(c, flowName, id);
    return (r?.executionResult?.recordsProcessed ?? 0) > 0 || (r !== undefined && isTerminal(r));
  });
  await sleep(Math.random() * 300);
  const t0 = performance.now();
  const out = await c.send(new CancelFlowExecutionsCommand({ flowName, executionIds: [id] }));
  if (out.invalidExecutions?.includes(id)) return undefined;
  let status: string | undefined;
  await until(async () => {
    status = (await runRecord(c, flowName, id))?.executionStatus;
    return status === "Successful" || status === "Error" || status === "Canceled";
  });
  const clientMs = performance.now() - t0;
  if (status !== "Canceled") throw new Error(`run ${id} of ${flowName} ended ${status} after a cancel`);
  const row = await server.sluice.app.store.db
    .selectFrom("runs")
    .select(["ended_at", "cancel_requested_at"])
    .where("execution_id", "=", id)
    .executeTakeFirstOrThrow();
  return { clientMs, storeMs: (row.ended_at ?? Number.NaN) - (row.cancel_requested_at ?? Number.NaN) };
}

async function until(pred: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(50);
  }
}

/**
 * Figure 4's servers, each in its own process so the load generator doesn't share their event loop.
 * Both print `{"url": ...}` once ready and serve until SIGTERM.
 *
 *   api-server-child.ts sluice <dataDir> <flows> <runs> <hotFlow>
 *     Sluice with throttling out of the way, seeded with `flows` flows (named <hotFlow prefix>-0000,
 *     -0001, …) and `runs` execution records.
 *   api-server-child.ts reuse <dataDir> <apiCacheMb>
 *     Sluice again on a data dir the first mode seeded, with SLUICE_API_CACHE_MB set (0: every request
 *     reads the store).
 *   api-server-child.ts bare <bodies.json>
 *     The baseline: a bare node:http server answering every request with a fixed body (the bytes
 *     Sluice answered for that path, from bodies.json), after reading the request body.
 *
 * Runs are seeded by cloning the store row of one real run (StartFlow on a one-row input) with new ids
 * and times: thousands of StartFlow calls would take minutes and add nothing to what is measured.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { StartFlowCommand } from "@aws-sdk/client-appflow";
import { type ConfigOverrides, loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { type Sluice, startSluice } from "../src/main.ts";
import type { RunsTable } from "../src/store/schema.ts";
import { createS3ToS3Flow, isTerminal, makeBucket, runRecord, writeCsv } from "../test/helpers/flows.ts";
import { appflowClient } from "../test/helpers/server.ts";
import { sleep } from "./stats.ts";

let HOT_FLOW = "api-0000";
const flowName = (i: number) => `${HOT_FLOW.replace(/-\d+$/, "")}-${String(i).padStart(4, "0")}`;

const ready = (url: string) => process.stdout.write(`${JSON.stringify({ url })}\n`);

async function sluiceServer([dataDir, flowsArg, runsArg, hot]: string[]): Promise<void> {
  if (hot) HOT_FLOW = hot;
  const flows = Number(flowsArg);
  const runs = Number(runsArg);
  if (!dataDir || !(flows > 0) || !(runs > 0))
    throw new Error("usage: api-server-child.ts sluice <dataDir> <flows> <runs> [hotFlow]");
  const sluice = await start(dataDir, { limits: { maxFlowsPerAccount: Math.max(1_000, flows) } });
  const client = appflowClient(sluice.url);
  await writeCsv(dataDir, "api-in", "data/data.csv", 1);
  makeBucket(dataDir, "api-out");
  for (let i = 0; i < flows; i += 8) {
    const batch = Array.from({ length: Math.min(8, flows - i) }, (_, k) =>
      createS3ToS3Flow(client, flowName(i + k), { inBucket: "api-in", prefix: "data", outBucket: "api-out" }),
    );
    await Promise.all(batch);
  }
  const template = await oneRealRun(client, sluice.app.store.db);
  await cloneRuns(sluice.app.store.db, template, flows, runs);
  client.destroy();
  serve(sluice);
}

async function reuseServer([dataDir, cacheMb]: string[]): Promise<void> {
  if (!dataDir || cacheMb === undefined)
    throw new Error("usage: api-server-child.ts reuse <dataDir> <apiCacheMb>");
  serve(await start(dataDir, { apiCacheMb: Number(cacheMb) }));
}

function start(dataDir: string, over: ConfigOverrides) {
  const config = loadConfig(
    {
      port: 0,
      dataDir,
      logLevel: "silent",
      throttle: { readRate: { rate: 1e6, burst: 1e6 }, writeRate: { rate: 1e6, burst: 1e6 } },
      ...over,
    },
    {},
  );
  return startSluice(config, createLogger("silent"));
}

function serve(sluice: Sluice): void {
  ready(sluice.url);
  const stop = () => void sluice.stop(0).then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function oneRealRun(
  client: ReturnType<typeof appflowClient>,
  db: Awaited<ReturnType<typeof startSluice>>["app"]["store"]["db"],
): Promise<RunsTable> {
  const { executionId } = await client.send(new StartFlowCommand({ flowName: HOT_FLOW }));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const rec = await runRecord(client, HOT_FLOW, executionId!);
    if (rec && isTerminal(rec)) break;
    await sleep(20);
  }
  const row = await db
    .selectFrom("runs")
    .selectAll()
    .where("execution_id", "=", executionId!)
    .executeTakeFirst();
  if (row?.status !== "Successful") throw new Error(`the template run ended ${row?.status}`);
  return row;
}

/** Half of the runs go to the flow that is queried, the rest are spread over the other flows. */
async function cloneRuns(
  db: Awaited<ReturnType<typeof startSluice>>["app"]["store"]["db"],
  t: RunsTable,
  flows: number,
  runs: number,
): Promise<void> {
  const hot = flows > 1 ? Math.floor(runs / 2) : runs;
  const base = t.created_at - runs * 60_000;
  const rows: RunsTable[] = [];
  for (let i = 0; i < runs; i++) {
    const flow = i < hot ? HOT_FLOW : flowName(1 + ((i - hot) % (flows - 1)));
    const at = base + i * 60_000;
    rows.push({
      ...t,
      execution_id: randomUUID(),
      flow_name: flow,
      flow_arn: t.flow_arn.replace(HOT_FLOW, flow),
      created_at: at,
      updated_at: at + 1_000,
      started_at: t.started_at === null ? null : at + 10,
      ended_at: at + 1_000,
      data_pull_start: t.data_pull_start === null ? null : at + 10,
      data_pull_end: t.data_pull_end === null ? null : at + 900,
      lease_owner: null,
      lease_expires_at: null,
    });
  }
  await db.transaction().execute(async (trx) => {
    // 500 rows × 27 columns stays under SQLite's bound-parameter limit.
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto("runs")
        .values(rows.slice(i, i + 500))
        .execute();
  });
}

function bareServer([file]: string[]): void {
  if (!file) throw new Error("usage: api-server-child.ts bare <bodies.json>");
  const entries = Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, string>);
  const bodies = new Map(entries.map(([path, body]) => [path, Buffer.from(body)]));
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = bodies.get(req.url ?? "") ?? Buffer.from("{}");
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => ready(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

const [mode, ...args] = process.argv.slice(2);
(async () =>
  mode === "bare" ? bareServer(args) : mode === "reuse" ? reuseServer(args) : sluiceServer(args))().catch(
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

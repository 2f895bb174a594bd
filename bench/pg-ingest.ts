/**
 * `npx tsx bench/pg-ingest.ts [--rows N] [--reps N] [--batch 10000,50000] [--conns 1,2] [--piece 10000]`:
 * what bounds the load side of figure 1 once the run's thread no longer is — figure 1's rows, already
 * encoded as COPY text (pieces of ~1 MB, as the fast path hands them over), written through the Redshift
 * destination's writeEncoded into a fresh table, against psql's \copy of the same CSV file, rep by rep.
 * Each combination of batch rows and connections is one line: median time, median of per-rep ratios,
 * and the CPU PostgreSQL spent (a loaded machine stretches wall times much more than CPU times).
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { copyText } from "../src/connectors/redshift/copy-batch.ts";
import { createRedshiftDestination } from "../src/connectors/redshift/redshift-destination.ts";
import type { ConnectorEnvironment, EncodedRecords, RunContext } from "../src/connectors/types.ts";
import { readCsv } from "../src/formats/csv-reader.ts";
import { compileTasks } from "../src/tasks/index.ts";
import { connectorContext } from "../test/helpers/connector-context.ts";
import { writeCsv } from "../test/helpers/flows.ts";
import { PG_URL } from "../test/helpers/server.ts";
import { psqlCopy } from "./baselines.ts";
import { toDomainTasks } from "./fast-path-stages.ts";
import { freshTable, maskedCopyTasks } from "./fixture.ts";
import { fmtMs, median } from "./stats.ts";

const list = (s: string) => s.split(",").map(Number);

/** The file's rows after figure 1's tasks, as COPY text in pieces of `piece` records. */
async function encodeFile(
  file: string,
  piece: number,
): Promise<{ fields: string[]; pieces: EncodedRecords[] }> {
  const tasks = compileTasks(toDomainTasks(maskedCopyTasks()));
  const pieces: EncodedRecords[] = [];
  let fields: string[] = [];
  for await (const b of readCsv(createReadStream(file), piece, file)) {
    const out = tasks.apply(b).batch;
    fields = out.fields;
    const data = Buffer.from(copyText(out.rows));
    const records = out.rows.length;
    pieces.push({ fields, chunks: [{ data, records }], records, bytes: 0, longestRecord: 0 });
  }
  return { fields, pieces };
}

function runContext(env: ConnectorEnvironment): RunContext {
  return {
    executionId: randomUUID(),
    startedAt: new Date(),
    env,
    flow: {
      flowName: "ingest",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/ingest",
      accountId: "000000000000",
      region: "us-east-1",
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: {} },
      destinationFlowConfigList: [],
      tasks: [],
      schemaVersion: 1,
    },
  };
}

/** User + system CPU of a process so far, in ms (0 once it is gone). */
async function cpuMs(pid: number | "self", children = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // After "pid (comm) ": state ppid … utime stime cutime cstime (stat's fields 14–17).
  const f = stat.replace(/^.*\) /s, "").split(" ");
  const ticks = Number(f[11] ?? 0) + Number(f[12] ?? 0) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return Number.isFinite(ticks) ? ticks * 10 : 0; // USER_HZ is 100 on Linux
}

/** The WAL writer, background writer and checkpointer. */
async function auxPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (/^postgres: .*(walwriter|background writer|checkpointer)/.test(cmd)) pids.push(Number(pid));
  }
  return pids;
}

/**
 * `fn`'s wall time; the CPU time of the PostgreSQL backends it used (those with `appName`, PostgreSQL
 * runs on this machine), sampled every 20 ms until they exit, and of PostgreSQL's writers meanwhile — a loaded machine stretches wall times,
 * not these; and this process's own CPU with its children's (psql).
 */
export async function measure(
  appName: string,
  fn: () => Promise<unknown>,
): Promise<{ ms: number; pgMs: number; ownMs: number }> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const seen = new Map<number, number>();
  let done = false;
  const sample = async () => {
    while (!done) {
      const r = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1",
        [appName],
      );
      for (const { pid } of r.rows) seen.set(pid, Math.max(seen.get(pid) ?? 0, await cpuMs(pid)));
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  // PostgreSQL's own processes write WAL and pages for every backend: counted too (others' share is small).
  const aux = await auxPids();
  const aux0 = await Promise.all(aux.map((pid) => cpuMs(pid)));
  const own0 = await cpuMs("self", true);
  const t0 = performance.now();
  const sampling = sample();
  try {
    await fn();
  } finally {
    done = true;
    await sampling;
    await admin.end();
  }
  const ms = performance.now() - t0;
  const aux1 = await Promise.all(aux.map((pid) => cpuMs(pid)));
  const auxMs = aux1.reduce((n, t, i) => n + t - aux0[i]!, 0);
  const pgMs = [...seen.values()].reduce((a, b) => a + b, 0) + auxMs;
  return { ms, pgMs, ownMs: (await cpuMs("self", true)) - own0 };
}

/**
 * Time to write every piece through writeEncoded and finish (every batch committed); figure 1's
 * breakdown (time-breakdown.ts) times the load side with it too.
 */
export async function loadEncoded(
  pieces: EncodedRecords[],
  table: string,
  dataDir: string,
  batchRows: number,
  conns: number,
): Promise<{ ms: number; pgMs: number; ownMs: number }> {
  const env: ConnectorEnvironment = {
    dataDir,
    s3: {},
    redshiftBatchRows: batchRows,
    sourceParallelism: 1,
    batchRows: 5000,
    connectors: { Redshift: { copyConnections: conns } },
  };
  const profile = {
    connectorProfileName: "pg",
    connectorType: "Redshift",
    properties: { databaseUrl: PG_URL },
    credentials: {},
  };
  const w = await createRedshiftDestination(
    {
      connectorType: "Redshift",
      destinationConnectorProperties: { Redshift: { object: table, intermediateBucketName: "unused" } },
    },
    connectorContext(runContext(env), { profile, signal: AbortSignal.timeout(600_000) }),
  ).open();
  const want = pieces.reduce((n, p) => n + p.records, 0);
  const m = await measure(`sluice/${process.pid}/%`, async () => {
    for (const p of pieces) await w.writeEncoded!(p);
    const fin = await w.finish();
    if (fin.recordsWritten !== want) throw new Error(`wrote ${fin.recordsWritten} of ${want} rows`);
  });
  return m;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      reps: { type: "string", default: "3" },
      batch: { type: "string", default: "10000" },
      conns: { type: "string", default: "2" },
      piece: { type: "string", default: "10000" },
    },
  });
  const rows = Number(args.rows);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-ingest-"));
  try {
    await writeCsv(dataDir, "in", "data.csv", rows);
    const file = path.join(dataDir, "s3", "in", "data.csv");
    const { pieces } = await encodeFile(file, Number(args.piece));
    const bytes = pieces.reduce((n, p) => n + p.chunks[0]!.data.length, 0);
    console.log(`${rows} rows, ${(bytes / 1e6).toFixed(1)} MB of COPY text in pieces of ${args.piece} rows`);
    const combos = list(args.batch).flatMap((b) => list(args.conns).map((c) => ({ b, c })));
    type Rep = { ms: number; pgMs: number; ownMs: number; psqlMs: number; psqlPgMs: number };
    const results = combos.map(() => [] as Rep[]);
    for (let rep = 0; rep < Number(args.reps); rep++) {
      for (const [i, { b, c }] of combos.entries()) {
        // psql right before each, so both see the same moment of a loaded machine.
        const base = await freshTable();
        process.env.PGAPPNAME = `ingest-psql-${process.pid}`;
        const p = await measure(process.env.PGAPPNAME, () => psqlCopy(file, base.table)).finally(() => {
          delete process.env.PGAPPNAME;
          return base.drop();
        });
        const t = await freshTable();
        const m = await loadEncoded(pieces, t.table, dataDir, b, c).finally(() => t.drop());
        results[i]!.push({ ...m, psqlMs: p.ms, psqlPgMs: p.pgMs });
        console.log(
          `  rep ${rep + 1} batch ${b} conns ${c}: ${fmtMs(m.ms)} (PostgreSQL CPU ${fmtMs(m.pgMs)}, ours ${fmtMs(m.ownMs)})` +
            ` vs psql ${fmtMs(p.ms)} (PostgreSQL CPU ${fmtMs(p.pgMs)}, psql ${fmtMs(p.ownMs)})`,
        );
      }
    }
    console.log(
      "batch rows | connections | writeEncoded → committed | ratio to psql \\copy | PostgreSQL CPU, ratio to psql's",
    );
    for (const [i, { b, c }] of combos.entries()) {
      const r = results[i]!;
      const ratios = r.map((x) => x.ms / x.psqlMs);
      const cpu = r.map((x) => x.pgMs / x.psqlPgMs);
      console.log(
        `${b} | ${c} | ${fmtMs(median(r.map((x) => x.ms)))} | ${median(ratios).toFixed(2)}× (${ratios.map((x) => x.toFixed(2)).join(", ")})` +
          ` | ${fmtMs(median(r.map((x) => x.pgMs)))}, ${median(cpu).toFixed(2)}×`,
      );
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

// A script when run, a module when figure 1 imports it.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

/**
 * "Where the time goes" for figure 1, as a run now spends it (the fast path: the flow's projection,
 * Maps and Mask never need a record's values): the source side from fast-path-stages.ts with the COPY
 * text format, then the destination side alone — the transcoded records written through the Redshift
 * destination's writeEncoded (COPY batches of SLUICE_REDSHIFT_BATCH_ROWS over its connections, every
 * batch committed) with pg-ingest.ts's loadEncoded — and psql's \copy of the file right after it, both
 * with the CPU PostgreSQL spent on them (a loaded machine stretches wall times more than CPU times).
 */
import { tmpdir } from "node:os";
import { psqlCopy } from "./baselines.ts";
import {
  cores,
  describeSource,
  handOff,
  overlapped,
  type SourceStages,
  sourceCpuMs,
  timeSourceStages,
} from "./fast-path-stages.ts";
import { freshTable, maskedCopyTasks } from "./fixture.ts";
import { loadEncoded, measure } from "./pg-ingest.ts";
import { fmtCount, fmtMs, fmtRatio } from "./stats.ts";

export interface Breakdown extends SourceStages {
  batchRows: number;
  connections: number;
  /** writeEncoded of every piece until the last batch committed (wall). */
  loadMs: number;
  /** CPU of PostgreSQL's backends and writers during the load, and of this process (sending COPY). */
  loadPgCpuMs: number;
  loadOwnCpuMs: number;
  /** psql's \copy of the same file right after, and PostgreSQL's CPU for it. */
  psqlMs: number;
  psqlPgCpuMs: number;
  /** The same records loaded as one batch (one COPY, one transaction, one connection). */
  oneCopyMs: number;
  oneCopyPgCpuMs: number;
}

export async function timeStages(csvFile: string): Promise<Breakdown> {
  const { stages, encoded } = await timeSourceStages(csvFile, maskedCopyTasks(), "copy-text");
  // The run's settings as config.ts reads them (defaults 10,000 rows, 2 connections).
  const batchRows = Number(process.env.SLUICE_REDSHIFT_BATCH_ROWS ?? 10_000);
  const connections = Number(process.env.SLUICE_REDSHIFT_COPY_CONNECTIONS ?? 2);
  const t = await freshTable();
  const load = await loadEncoded(encoded, t.table, tmpdir(), batchRows, connections).finally(() => t.drop());
  // The same records in one COPY: what PostgreSQL spends per row when the statement is large.
  const whole = await freshTable();
  const one = await loadEncoded(encoded, whole.table, tmpdir(), stages.records, 1).finally(() =>
    whole.drop(),
  );
  const b = await freshTable();
  const app = `breakdown-psql-${process.pid}`;
  process.env.PGAPPNAME = app;
  const psql = await measure(app, () => psqlCopy(csvFile, b.table)).finally(() => {
    delete process.env.PGAPPNAME;
    return b.drop();
  });
  return {
    ...stages,
    batchRows,
    connections,
    loadMs: load.ms,
    loadPgCpuMs: load.pgMs,
    loadOwnCpuMs: load.ownMs,
    psqlMs: psql.ms,
    psqlPgCpuMs: psql.pgMs,
    oneCopyMs: one.ms,
    oneCopyPgCpuMs: one.pgMs,
  };
}

/** Figure 1's notes on where the time goes; `runMs` and `pullMs` are the figure's medians. */
export function breakdownNotes(st: Breakdown, runMs: number, pullMs: number): string[] {
  const batches = Math.ceil(st.records / st.batchRows);
  const stages = overlapped(st, { name: "load", ms: st.loadMs }, false);
  const longest = stages.reduce((a, b) => (b.ms > a.ms ? b : a));
  const cpu = sourceCpuMs(st) + st.loadPgCpuMs + st.loadOwnCpuMs;
  const bound = Math.max(longest.ms, cpu / cores());
  return [
    "Where the time goes: the flow's projection, Maps and Mask need no record's values, so a run takes the " +
      "fast path (docs/architecture.md): no rows of JS strings, the CSV bytes transcoded straight into COPY " +
      "text. Its stages, each timed alone in this process with Sluice's own modules: " +
      `${describeSource(st, "COPY text")}; the destination side alone — those records through the Redshift ` +
      `destination's writeEncoded, COPY batches of ${fmtCount(st.batchRows)} rows over ${st.connections} ` +
      `connection(s), every batch committed (loadEncoded of bench/pg-ingest.ts) — ${fmtMs(st.loadMs)}, with ` +
      `${fmtMs(st.loadPgCpuMs)} of CPU in PostgreSQL's backends and writers and ${fmtMs(st.loadOwnCpuMs)} in ` +
      `this process. The run: ${fmtMs(runMs)} (${fmtMs(pullMs)} between its dataPullStartTime and ` +
      "dataPullEndTime).",
    `How a run overlaps them: ${handOff(st, "go to writeEncoded")}, whose full batches load in the ` +
      "background over the connections while the next chunks transcode. So a run takes at least the " +
      `longest of what runs at once — the ${longest.name}, ${fmtMs(longest.ms)} — or the ` +
      `CPU they need, ${fmtMs(cpu)} (source side ${fmtMs(sourceCpuMs(st))}, PostgreSQL ` +
      `${fmtMs(st.loadPgCpuMs)}, sending ${fmtMs(st.loadOwnCpuMs)}), spread over ${cores()} cores: at least ` +
      `${fmtMs(cpu / cores())}. The larger, ${fmtMs(bound)}, is the estimate, against the run's pull of ${fmtMs(pullMs)} ` +
      `(${fmtRatio(pullMs / bound)} that). The stages were timed alone on a shared machine, so the estimate ` +
      "can miss either way; what a run spends beyond it is not broken down here (the stages contending for the cores at once, the run threads' lower priority " +
      `on a busy machine); the run's ${fmtMs(runMs)} adds its start, bookkeeping and the client's 50 ms polling.`,
    "What remains between Sluice and psql: the load side alone, timed back to back with psql's \\copy of " +
      `the file, took ${fmtMs(st.loadMs)} against ${fmtMs(st.psqlMs)} (${fmtRatio(st.loadMs / st.psqlMs)}), ` +
      `and PostgreSQL spent ${fmtMs(st.loadPgCpuMs)} of CPU on it against ${fmtMs(st.psqlPgCpuMs)} ` +
      `(${fmtRatio(st.loadPgCpuMs / st.psqlPgCpuMs)}). psql sends the file's bytes untouched in one ` +
      `transaction; Sluice sends COPY text (the Mask changes a column, so the bytes can't pass through) in ` +
      `${fmtCount(batches)} transactions, each loaded whole or not at all and ending in a COMMIT (a ` +
      "WAL flush), and counted only once committed. The same records as one batch (one COPY, one connection) " +
      `took ${fmtMs(st.oneCopyMs)} and ${fmtMs(st.oneCopyPgCpuMs)} of PostgreSQL's CPU. Small COPYs cost it ` +
      "more even without commits: a file split into COPYs of 10k, 100k, 200k and 500k rows, all in one " +
      "transaction (psql, this machine), cost PostgreSQL about as much at 10k as at 100k and less from " +
      "200k rows (~22 MB) on; perf showed the backend zeroing fresh pages as it extends the table (ReadBuffer's " +
      "extend path) in about five times as many of its samples with 100 COPYs as with one. That fits PostgreSQL's COPY, which " +
      "writes through a 16 MB ring of buffers that each statement starts anew. Batches that large would " +
      "need the COPY streamed while the batch is read and the batch spooled to disk for retries and the " +
      "error bucket (held in memory, as batches are now, they would grow the run's memory with their size); that is not built. " +
      "`npx tsx bench/pg-ingest.ts --batch 10000,50000 --conns 1,2` " +
      "compares batch sizes and connection counts. On top of the load, the source side needs " +
      `${fmtMs(sourceCpuMs(st))} of CPU from the same cores as PostgreSQL's backends. Run threads (and their ` +
      "pool threads) run at SLUICE_RUN_NICE (default 10) below the server, so on a busy machine they yield " +
      "to other work first.",
  ];
}

/** The results: one Markdown table for the terminal and docs/benchmarks.md, and a JSON file per day. */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtRatio } from "./stats.ts";

export interface TableRow {
  metric: string;
  sluice: string;
  baseline: string;
  /** Sluice time / baseline time (or baseline rate / Sluice rate): above 1 means Sluice is slower. */
  ratio?: number;
  target?: string;
  /** Whether the target is met (undefined: no target). */
  meets?: boolean;
}

export interface FigureResult {
  id: string;
  title: string;
  rows: TableRow[];
  /** Every sample and median, for the JSON file. */
  raw: Record<string, unknown>;
  notes: string[];
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
}

export function machineInfo(): Machine {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

const cell = (s: string) => s.replaceAll("|", "\\|");

export function renderTable(figures: FigureResult[]): string {
  const lines = ["| Figure | Measure | Sluice | Baseline | Ratio | Target |", "|---|---|---|---|---|---|"];
  for (const f of figures) {
    f.rows.forEach((r, i) => {
      const target = r.target ? `${r.target}${r.meets === undefined ? "" : r.meets ? " ✅" : " ❌"}` : "";
      lines.push(
        `| ${i === 0 ? cell(f.title) : ""} | ${cell(r.metric)} | ${cell(r.sluice)} | ${cell(r.baseline)} | ${
          r.ratio === undefined ? "" : fmtRatio(r.ratio)
        } | ${cell(target)} |`,
      );
    });
  }
  return lines.join("\n");
}

export function renderNotes(figures: FigureResult[]): string {
  return figures
    .filter((f) => f.notes.length > 0)
    .map((f) => `**${f.title}**\n\n${f.notes.map((n) => `- ${n}`).join("\n")}`)
    .join("\n\n");
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface RunInfo {
  date: string;
  quick: boolean;
  reps: number;
  durationMs: number;
  command: string;
}

export function writeResults(info: RunInfo, machine: Machine, figures: FigureResult[]): string {
  const file = join(root, "bench", "results", `${info.date}${info.quick ? "-quick" : ""}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const figs = figures.map(({ id, title, rows, raw, notes }) => ({ id, title, rows, raw, notes }));
  writeFileSync(file, `${JSON.stringify({ ...info, machine, figures: figs }, null, 2)}\n`);
  return file;
}

export function writeDocs(info: RunInfo, machine: Machine, figures: FigureResult[]): string {
  const file = join(root, "docs", "benchmarks.md");
  const text = `# Benchmarks

${DOCS_INTRO}

Measured ${info.date} with \`${info.command}\` (${info.reps} repetition${info.reps === 1 ? "" : "s"} per figure, medians; the whole run took ${Math.round(info.durationMs / 60_000)} min).

**Machine:** ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGb} GB RAM, Node.js ${machine.node}, ${machine.platform}.
These are shared virtual machines and they are noisy: the same run can differ by 10–30% from one minute
to the next. Only the ratios, measured against a baseline in the same run, are meant to be compared
across machines.

${renderTable(figures)}

Ratio: Sluice's time divided by the baseline's (for rates, the baseline's rate divided by Sluice's), so
above 1× means Sluice is slower.

## Notes per figure

${renderNotes(figures)}
`;
  writeFileSync(file, text);
  return file;
}

/** The fixed part of docs/benchmarks.md: what is measured and how (the numbers are generated). */
export const DOCS_INTRO = `This page is written by \`npm run bench\` (bench/run.ts). Every Sluice figure stands next to a
baseline measured in the same run on the same machine — what you would get without Sluice — and the
table gives the median over the repetitions. Raw samples are in \`bench/results/<date>.json\`.

\`\`\`sh
npm run bench                 # the full run below (about 8 minutes on 2 cores)
npm run bench:quick           # tiny sizes, 1 repetition: checks the harness works (CI), times mean nothing
npm run bench -- --only pg,s3 --reps 5 --rows 2000000
\`\`\`

Needs PostgreSQL on 127.0.0.1:5432 (database \`test\`, user \`postgres\`, trust auth; \`SLUICE_TEST_PG_URL\`
overrides) and \`psql\` on the PATH. Data is generated into temp dirs (10 columns, ~150 bytes a row, one
quoted field per row) and removed afterwards; tables go into throwaway schemas.

What each figure measures:

1. **S3 CSV → PostgreSQL.** One CSV object in the local S3 directory, a flow with Filter (PROJECTION) +
   10 Maps + Mask (MASK_LAST_N on \`email\`) into a fresh table through the Redshift connector (COPY in
   10,000-row transactions), timed by a client from StartFlow until DescribeFlowExecutionRecords (polled
   every 50 ms) says Successful. Baseline: \`psql -c "\\copy t FROM 'file' CSV HEADER"\` into the same
   table shape.
2. **S3 CSV → S3 JSON lines / Parquet** (SingleFile). Baseline: DuckDB (\`@duckdb/node-api\`, 2 threads)
   \`COPY (SELECT * FROM read_csv(...)) TO '...' (FORMAT parquet | json)\` on the same file, in the same rep; for
   JSON lines also a \`readline\` loop writing through an fs stream. File sizes are compared with DuckDB's.
3. **Memory.** Peak RSS of a whole server process running one flow, at two sizes, each in a fresh process.
   Flat means streaming: the ratio large/small should stay near 1.
4. **API.** Full pages (100 items) of DescribeFlowExecutionRecords and ListFlows with many runs and flows
   stored, from concurrent loops of SigV4-signed requests, against a bare \`node:http\` server that answers
   the same bytes.
5. **Cancel latency.** Runs cancelled mid-flight while other runs keep the workers busy; p50/p95/p99 both as
   a client sees it and from the store's timestamps.
6. **API during a run.** ListFlows and DescribeFlowExecutionRecords p99, one signed request at a time,
   while a 1M-row S3 CSV → S3 Parquet run executes (in its worker thread), against the same server idle.`;

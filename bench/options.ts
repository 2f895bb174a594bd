/** Command-line options of `npm run bench` and the data sizes they imply. */
import { parseArgs } from "node:util";

export const FIGURES = ["pg", "s3", "memory", "api", "cancel", "api-run"] as const;
export type Figure = (typeof FIGURES)[number];

export interface BenchOptions {
  quick: boolean;
  reps: number;
  only: Figure[];
  /** Rows for the throughput figures (1 and 2). */
  rows: number;
  /** Small and large run sizes for the memory figure. */
  memoryRows: [number, number];
  api: { flows: number; runs: number; concurrency: number; seconds: number };
  cancel: { runs: number; inputRows: number };
  /** Write docs/benchmarks.md and bench/results/<date>.json (off for --quick unless asked). */
  write: boolean;
}

const HELP = `npm run bench -- [--quick] [--reps N] [--rows N] [--only pg,s3,memory,api,cancel,api-run] [--no-write]
  --quick     tiny sizes, 1 repetition: keeps the harness working in CI (no assertions on times)
  --reps N    repetitions per figure (median reported; default 3)
  --rows N    rows for the throughput figures (default 1,000,000)
  --only      comma-separated figures to run (default: all)
  --write     also write docs/benchmarks.md and bench/results/ in --quick mode
  --no-write  print the table only`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      reps: { type: "string" },
      rows: { type: "string" },
      only: { type: "string" },
      write: { type: "boolean" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const only = (values.only?.split(",").map((s) => s.trim()) ?? [...FIGURES]) as Figure[];
  for (const f of only) {
    if (!FIGURES.includes(f)) throw new Error(`unknown figure '${f}' (one of ${FIGURES.join(", ")})`);
  }
  const reps = positive(values.reps, quick ? 1 : 3, "--reps");
  const rows = positive(values.rows, quick ? 20_000 : 1_000_000, "--rows");
  return {
    quick,
    reps,
    only,
    rows,
    memoryRows: quick ? [20_000, 100_000] : [1_000_000, 5_000_000],
    api: quick
      ? { flows: 50, runs: 500, concurrency: 4, seconds: 1 }
      : { flows: 1_000, runs: 10_000, concurrency: 16, seconds: 5 },
    cancel: quick ? { runs: 5, inputRows: 100_000 } : { runs: 50, inputRows: 300_000 },
    write: values["no-write"] ? false : (values.write ?? !quick),
  };
}

function positive(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number; got '${v}'`);
  return n;
}

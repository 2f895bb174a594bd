/**
 * The DuckDB process (see duckdb-process.ts): reads one job a line on stdin, answers one line each on
 * stdout. `{"id":1,"sql":"COPY …"}` runs a statement on a connection of its own; `{"cancel":1}`
 * interrupts it. It exits when stdin ends — its parent (a run's thread, or the process) is gone — and
 * then removes the files it was working on, which carry its pid.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

const [tempDir, threads, memoryLimit] = process.argv.slice(2) as [string, string, string];
const prefix = `${process.pid}-`;

const db = await DuckDBInstance.create(":memory:", {
  threads,
  memory_limit: memoryLimit,
  temp_directory: join(tempDir, `${prefix}spill`),
  // Nothing is ever downloaded: CSV and Parquet are built in.
  autoinstall_known_extensions: "false",
  autoload_known_extensions: "false",
});
const running = new Map<number, DuckDBConnection>();
const jobs = new Set<Promise<void>>();
const answer = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);
// A parent gone before an answer (a thread terminated while this process started) makes stdout EPIPE:
// nobody reads it any more, and the end of stdin below still removes this process's files.
process.stdout.on("error", () => {});

async function run(id: number, sql: string): Promise<void> {
  const conn = await db.connect();
  running.set(id, conn);
  try {
    await conn.run(sql);
    answer({ id, ok: true });
  } catch (e) {
    answer({ id, ok: false, error: (e as Error).message });
  } finally {
    running.delete(id);
    conn.closeSync();
  }
}

answer({ ready: true });
for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
  const m = JSON.parse(line) as { id?: number; sql?: string; cancel?: number };
  if (m.cancel !== undefined) running.get(m.cancel)?.interrupt();
  else if (m.id !== undefined && m.sql !== undefined) {
    const job = run(m.id, m.sql);
    jobs.add(job);
    void job.finally(() => jobs.delete(job));
  }
}
// The parent is gone: stop what runs (a COPY would go on writing its file) before removing the files.
for (const conn of running.values()) conn.interrupt();
await Promise.allSettled(jobs);
for (const name of readdirSync(tempDir)) {
  if (name.startsWith(prefix)) rmSync(join(tempDir, name), { recursive: true, force: true });
}
process.exit(0);

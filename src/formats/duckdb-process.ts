/**
 * DuckDB runs in a child process of its own, one per thread that writes Parquet (started on first use,
 * kept for the thread's later objects and runs), never in the run's thread. A run's thread is terminated
 * when it ignores a forced cancel, and terminating a Node thread while a DuckDB call of
 * @duckdb/node-api is in flight aborts the whole process (measured: "terminate called after throwing
 * an instance of 'Napi::Error'"). A child process is unaffected: when its parent thread is terminated
 * its stdin closes and it exits, and a cancel interrupts its statement. It gets no environment (no
 * secrets), a capped memory (spilling to the temp directory beyond it), and files named after its pid,
 * so the files of a process that died mid-write are recognised and removed by the next one.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ConnectorServerError } from "../domain/errors.ts";

/** The rows of the files being written and the COPY's buffers; beyond it DuckDB spills to disk. */
const MEMORY_LIMIT = "192MB";
const CHILD = fileURLToPath(new URL("./duckdb-child.ts", import.meta.url));

interface Job {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class DuckdbProcess {
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private stderr = "";
  private exited: Error | undefined;
  /** Settles once the process can take statements (rejects if it never can). */
  ready: Promise<void> = Promise.resolve();

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Files of this process's jobs start with this, so they are removed with it. */
  get filePrefix(): string {
    // No pid: the spawn itself failed (its error event is still to come).
    if (this.child.pid === undefined)
      throw new ConnectorServerError("The DuckDB process writing Parquet failed to start");
    return `${this.child.pid}-`;
  }

  /**
   * Spawns the process and returns at once: its pid (the files' prefix) is known, and a statement
   * waits for it to be ready (`ready`), so staging can go on while DuckDB loads (0.3–2 s).
   */
  static start(tempDir: string): DuckdbProcess {
    mkdirSync(tempDir, { recursive: true });
    removeStale(tempDir);
    const threads = String(Math.max(1, Math.min(availableParallelism(), 4)));
    const child = spawn(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), CHILD, tempDir, threads, MEMORY_LIMIT],
      { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } },
    );
    const p = new DuckdbProcess(child);
    p.ready = new Promise((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        p.stderr = (p.stderr + d.toString()).slice(-2000);
      });
      child.on("error", (err) => {
        p.exited ??= new ConnectorServerError(
          `The DuckDB process writing Parquet failed to start: ${err.message}`,
        );
        reject(p.exited);
      });
      // Writing to a child that died fails with EPIPE; its exit (below) fails the jobs with its message.
      child.stdin.on("error", () => {});
      child.on("exit", (code, signal) => {
        p.exited = new ConnectorServerError(
          `The DuckDB process writing Parquet exited (${signal ?? `code ${code}`}): ${p.stderr.trim()}`,
        );
        for (const job of p.jobs.values()) job.reject(p.exited);
        p.jobs.clear();
        reject(p.exited);
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        const m = JSON.parse(line) as { ready?: true; id?: number; ok?: boolean; error?: string };
        if (m.ready) {
          p.idle();
          return resolve();
        }
        const job = p.jobs.get(m.id!);
        if (!job) return;
        p.jobs.delete(m.id!);
        if (p.jobs.size === 0) p.idle();
        if (m.ok) job.resolve();
        else job.reject(new ConnectorServerError(`Writing the Parquet file failed: ${m.error}`));
      });
    });
    // Seen by whoever runs a statement; unobserved, a failed start would be an unhandled rejection.
    p.ready.catch(() => {});
    return p;
  }

  /** Runs one statement; the signal interrupts it (the promise then rejects with the signal's reason). */
  async run(sql: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    // A cancel while the process still starts (up to ~2 s on a loaded machine) rejects at once.
    await (signal ? untilReady(this.ready, signal) : this.ready);
    if (this.exited) throw this.exited;
    signal?.throwIfAborted();
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.jobs.set(id, { resolve, reject }));
    this.busy();
    this.child.stdin.write(`${JSON.stringify({ id, sql })}\n`);
    if (!signal) return done;
    const cancel = () => this.child.stdin.write(`${JSON.stringify({ cancel: id })}\n`);
    signal.addEventListener("abort", cancel, { once: true });
    return done
      .then(
        () => signal.throwIfAborted(),
        (e) => {
          throw signal.aborted ? signal.reason : e;
        },
      )
      .finally(() => signal.removeEventListener("abort", cancel));
  }

  /** While a job runs the child keeps this thread alive; idle, it doesn't (nor does a kept thread). */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr])
      (s as unknown as { unref(): void }).unref();
  }
}

const processes = new Map<string, DuckdbProcess>();

/**
 * This thread's DuckDB process for a temp directory, perhaps still starting; a failed or exited one is
 * started again.
 */
/** `ready`, or the signal's reason as soon as it aborts (the process goes on starting for the next job). */
function untilReady(ready: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    ready.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export function duckdbProcess(tempDir: string): DuckdbProcess {
  const existing = processes.get(tempDir);
  if (existing?.alive) return existing;
  const started = DuckdbProcess.start(tempDir);
  processes.set(tempDir, started);
  return started;
}

/** Files and spill folders of a DuckDB process that is gone (it died mid-write); a live one's are kept. */
function removeStale(tempDir: string): void {
  for (const name of readdirSync(tempDir)) {
    const pid = Number(name.split("-", 1)[0]);
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    rmSync(join(tempDir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

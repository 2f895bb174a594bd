/**
 * Runs execute in worker threads (DESIGN.md §5): the record pipeline's CPU (parsing, tasks, encoding)
 * leaves the event loop that serves the API, the heartbeats and the stop state machine. One thread
 * runs one run at a time; a thread whose run ended normally is kept idle for the next run, one that was
 * terminated is never reused. Loading TypeScript and the connectors costs a thread 0.3 s on an idle
 * machine and several seconds on a loaded one, so while no run executes one thread is kept loading or
 * loaded ahead of the next claim. A spare isn't kept beside running threads: a loaded thread is ~40 MB,
 * and a run that starts while others execute loads its own (not charged to its maximum run time).
 * The main thread answers the thread's requests (checkpoint, profile, saveCredentials): only it
 * writes the store. A forced stop terminates the thread (`handle.terminate`), so the pool records the
 * end only once the work has really stopped.
 */
import { Worker } from "node:worker_threads";
import type { Logger } from "../logger.ts";
import { emptyCounts, type RunCounts } from "../store/runs/touch-run.ts";
import type { OpenedProfile } from "./profile-access.ts";
import type { ExecutionOutcome } from "./run-executor.ts";
import type { FromThread, ToThread } from "./thread-messages.ts";
import { toWire } from "./thread-messages.ts";
import type { ExecuteRun } from "./worker-pool.ts";

export interface ThreadExecutorOptions {
  logLevel: string;
  /** The module whose `executeRun` the threads run (default: the real pipeline, run-executor.ts). */
  executor?: URL;
  /** Finished threads kept for later runs (the pool's worker count is the useful bound). */
  idleThreads: number;
  /**
   * Added to the nice value of each run's thread (Linux; capped at 19): the main thread (API, heartbeats,
   * cancels) gets a core first when runs keep every core busy. 0 leaves it alone; ignored off Linux.
   */
  nice?: number;
  /** Old-space limit of each run's thread (MB); a run that needs more ends Error. Default: V8's. */
  heapMb?: number;
}

export interface ThreadExecutor {
  execute: ExecuteRun;
  /** Ends the idle threads (at shutdown; running ones end with their runs). */
  close(): Promise<void>;
}

const threadEntry = new URL("./run-thread.ts", import.meta.url).href;
const tsxApi = import.meta.resolve("tsx/esm/api");
// A thread starts with no loader: this bootstrap registers tsx in it before loading the TypeScript
// entry, the same way bin/sluice.js does for the main thread (`--import tsx` in a worker's execArgv
// is not applied before its entry module on Node 20).
// The thread lowers its own priority first (a Linux thread is a task with its own nice value, set by
// its id), so even loading code yields to the main thread.
const bootstrap = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { readlinkSync } from "node:fs"; import { getPriority, setPriority } from "node:os"; import { workerData } from "node:worker_threads";
if (workerData.nice > 0) { try { const tid = Number(readlinkSync("/proc/thread-self").split("/").pop()); setPriority(tid, Math.min(19, getPriority(tid) + workerData.nice)); } catch {} }
const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(threadEntry)});`,
  )}`,
);

/**
 * V8 sizes a thread's young generation for the machine (48 MB here); 24 MB cut a 1M-row run's peak RSS by
 * ~20 MB with no run-time difference measurable on the bench machine (docs/benchmarks.md, figure 3).
 */
const YOUNG_GENERATION_MB = 24;

export function threadExecutor(opts: ThreadExecutorOptions): ThreadExecutor {
  const executor = (opts.executor ?? new URL("./run-executor.ts", import.meta.url)).href;
  const idle: Worker[] = [];
  let busy = 0;
  const spawn = () => {
    const t = new Worker(bootstrap, {
      execArgv: [],
      workerData: { executor, nice: opts.nice ?? 0 },
      resourceLimits: {
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
        ...(opts.heapMb ? { maxOldGenerationSizeMb: opts.heapMb } : {}),
      },
    });
    t.unref(); // an idle thread doesn't keep the process alive
    // A thread that fails while idle (it couldn't load) is dropped; a run that takes it sees the exit.
    t.once("error", () => {
      const i = idle.indexOf(t);
      if (i >= 0) idle.splice(i, 1);
    });
    return t;
  };
  // Messages posted to a thread still loading wait in its port: a run can take a spare at once.
  const keepSpare = () => {
    if (idle.length === 0 && busy === 0) idle.push(spawn());
  };
  keepSpare();

  const execute: ExecuteRun = (run, handle, deps) =>
    new Promise<ExecutionOutcome>((resolve) => {
      const thread = idle.pop() ?? spawn();
      busy++;
      thread.ref();
      let lastCounts: RunCounts = emptyCounts();
      let settled = false;
      let terminated = false;
      const profiles = new Map<number, OpenedProfile>();
      let nextProfile = 1;
      const send = (m: ToThread) => {
        if (!settled) thread.postMessage(m);
      };
      const reply = (id: number, work: () => Promise<unknown>) => {
        work().then(
          (value) => send({ type: "reply", id, ok: true, value }),
          (err: unknown) => send({ type: "reply", id, ok: false, error: toWire(err) }),
        );
      };
      const onStop = () => send({ type: "stop", reason: handle.reason ?? "cancel" });
      const onHard = () => send({ type: "hard", reason: handle.reason ?? "cancel" });
      const settle = (outcome: ExecutionOutcome, reuse: boolean) => {
        if (settled) return;
        settled = true;
        handle.soft.signal.removeEventListener("abort", onStop);
        handle.hard.signal.removeEventListener("abort", onHard);
        thread.off("message", onMessage);
        thread.off("error", onError);
        thread.off("exit", onExit);
        handle.terminate = undefined;
        busy--;
        if (reuse && idle.length < opts.idleThreads) {
          thread.unref();
          idle.push(thread);
        } else void thread.terminate();
        keepSpare();
        resolve(outcome);
      };
      const onMessage = (m: FromThread) => {
        switch (m.type) {
          case "checkpoint":
            lastCounts = m.counts;
            return reply(m.id, () => deps.checkpoint(m.counts));
          case "profile":
            return reply(m.id, async () => {
              const opened = await deps.resolveProfile(m.accountId, m.name);
              const profileId = nextProfile++;
              profiles.set(profileId, opened);
              return { profileId, profile: opened.profile };
            });
          case "save-credentials":
            return reply(m.id, async () => {
              const opened = profiles.get(m.profileId);
              if (!opened) throw new Error("unknown profile");
              return opened.saveCredentials(m.updated);
            });
          case "gauge":
            return deps.env.metrics?.gauge(m.name, m.help, m.labels, m.value);
          case "started":
            return deps.started?.();
          case "log":
            return relayLog(deps.log, m.line);
          case "result":
            return settle(m.outcome, true);
        }
      };
      const onError = (err: Error) => {
        deps.log.error({ err, executionId: run.execution_id }, "a run's worker thread failed");
        const outOfMemory = (err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
        const errorMessage = outOfMemory
          ? `the flow run needed more memory than a run may use (SLUICE_RUN_HEAP_MB, ${opts.heapMb ?? "V8's default"} MB)`
          : "internal error while running the flow";
        settle({ status: "Error", errorMessage, counts: lastCounts }, false);
      };
      const onExit = () => {
        if (!terminated)
          deps.log.error(
            { executionId: run.execution_id },
            "a run's worker thread exited before its run ended",
          );
        // Terminated by a forced stop: the pool records the end itself, with its last checkpoint's counts.
        settle(
          terminated
            ? { status: "Canceled", counts: lastCounts }
            : { status: "Error", errorMessage: "internal error while running the flow", counts: lastCounts },
          false,
        );
      };
      thread.on("message", onMessage);
      thread.on("error", onError);
      thread.on("exit", onExit);
      handle.terminate = async () => {
        terminated = true;
        await thread.terminate();
      };
      handle.soft.signal.addEventListener("abort", onStop, { once: true });
      handle.hard.signal.addEventListener("abort", onHard, { once: true });
      thread.postMessage({
        type: "run",
        run,
        env: { ...deps.env, metrics: undefined },
        logLevel: opts.logLevel,
      } satisfies ToThread);
      // Stopped before the thread got the run: tell it at once (messages arrive in order).
      if (handle.soft.signal.aborted) onStop();
      if (handle.hard.signal.aborted) onHard();
    });

  return {
    execute,
    close: async () => {
      await Promise.all(idle.splice(0).map((t) => t.terminate()));
    },
  };
}

/** A thread's log line, written by the main thread's logger (its bindings, destination and format). */
function relayLog(log: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, time: _t, pid: _p, hostname: _h, service: _s, ...fields } = entry;
  const label = typeof level === "number" ? log.levels.labels[level] : undefined;
  const write = label ? (log as unknown as Record<string, unknown>)[label] : undefined;
  if (typeof write === "function") write.call(log, fields, typeof msg === "string" ? msg : undefined);
}

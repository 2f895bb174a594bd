/**
 * A worker thread's side of a run: it runs source → tasks → destination (the executor) for one run at a
 * time and reaches the store only through messages to the main thread, which keeps the lease, the
 * heartbeat and the stop state machine. Cancel arrives as "stop" (the soft signal) and "hard" messages;
 * connectors see ordinary AbortSignals and don't know they are in a thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogger } from "../logger.ts";
import type { RunCounts } from "../store/runs/touch-run.ts";
import type { PipelineExecutor } from "./run-executor.ts";
import { type RunSignals, StopError, type StopReason } from "./run-handle.ts";
import { type FromThread, fromWire, type ProfileReply, type ToThread } from "./thread-messages.ts";

const port = parentPort;
if (!port) throw new Error("run-thread.ts runs in a worker thread");
// The pipeline and its connectors load while the thread waits for a run.
const pipeline = import((workerData as { executor: string }).executor) as Promise<{
  executeRun: PipelineExecutor;
}>;

let nextId = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
let current: { soft: AbortController; hard: AbortController; reason: StopReason | undefined } | undefined;

const post = (m: FromThread) => port.postMessage(m);
function request<T>(make: (id: number) => FromThread): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post(make(id));
  });
}

port.on("message", (m: ToThread) => {
  switch (m.type) {
    case "run":
      void runOne(m).catch((err: unknown) => {
        // The executor never throws (it returns an Error outcome); this is a bug: end the thread.
        console.error(err);
        process.exit(1);
      });
      return;
    case "stop":
      if (current && !current.reason) {
        current.reason = m.reason;
        current.soft.abort(new StopError(m.reason));
      }
      return;
    case "hard":
      if (current) {
        current.reason ??= m.reason;
        current.soft.abort(new StopError(m.reason));
        current.hard.abort(new StopError(m.reason));
      }
      return;
    case "reply": {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(fromWire(m.error));
    }
  }
});

async function runOne(m: Extract<ToThread, { type: "run" }>): Promise<void> {
  const signals: RunSignals & { reason: StopReason | undefined } = {
    soft: new AbortController(),
    hard: new AbortController(),
    reason: undefined,
  };
  current = signals;
  const { executeRun } = await pipeline;
  // Log lines go to the main thread's logger, which writes them where the server's own lines go.
  const log = createLogger(m.logLevel, { write: (line: string) => post({ type: "log", line }) });
  const outcome = await executeRun(m.run, signals, {
    env: {
      ...m.env,
      metrics: {
        gauge: (name, help, labels, value) => post({ type: "gauge", name, help, labels, value }),
      },
    },
    log,
    now: () => Date.now(),
    started: () => post({ type: "started" }),
    checkpoint: (counts: RunCounts) => request<void>((id) => ({ type: "checkpoint", id, counts })),
    resolveProfile: async (accountId, name) => {
      const r = await request<ProfileReply>((id) => ({ type: "profile", id, accountId, name }));
      return {
        profile: r.profile,
        saveCredentials: (updated) =>
          request<Record<string, unknown>>((id) => ({
            type: "save-credentials",
            id,
            profileId: r.profileId,
            updated,
          })),
      };
    },
  });
  current = undefined;
  post({ type: "result", outcome });
}

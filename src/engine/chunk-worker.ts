/**
 * A chunk pool thread (chunk-pool.ts): it loads the job module and nothing else, then calls the module's
 * function on each job it is sent and sends the result back, Buffers moved both ways (chunk-transfer.ts).
 * A job's error goes back as its class name, name, message and code, so the pool can rebuild it. The
 * job function must not keep its job's Buffers: their memory goes back with the reply.
 */
import { parentPort, workerData } from "node:worker_threads";
import { forTransfer, fromTransfer } from "./chunk-transfer.ts";

export interface ChunkWorkerData {
  module: string;
  exportName: string;
}

export type ToChunkWorker = { id: number; job: unknown };
export type FromChunkWorker =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WireJobError };

export interface WireJobError {
  /** The constructor's name (ConnectorServerError...), to rebuild the same class. */
  cls: string;
  name: string;
  message: string;
  code?: unknown;
  stack?: string;
}

const port = parentPort;
if (!port) throw new Error("chunk-worker.ts runs in a worker thread");
const data = workerData as ChunkWorkerData;
const mod = (await import(data.module)) as Record<string, unknown>;
const fn = mod[data.exportName];
if (typeof fn !== "function") throw new Error(`${data.module} has no function export "${data.exportName}"`);

port.on("message", ({ id, job }: ToChunkWorker) => {
  const inputs: ArrayBuffer[] = [];
  forTransfer(job, inputs); // the job's memory (each Buffer arrived as a whole ArrayBuffer)
  let reply: FromChunkWorker;
  const list: ArrayBuffer[] = [];
  try {
    reply = { id, ok: true, result: forTransfer((fn as (j: unknown) => unknown)(fromTransfer(job)), list) };
  } catch (e) {
    reply = { id, ok: false, error: describe(e) };
  }
  // The job's memory goes back with the reply, unreferenced: here it would be garbage that V8 collects
  // only after ~64 MB of external memory piled up, a job making too little JS garbage to collect sooner
  // (measured: +30 MB RSS per thread after 40 jobs of 2 MB); the run thread, which allocates steadily,
  // collects it soon. The job function is pure: once it returned, nothing uses its Buffers.
  for (const b of inputs) if (b.byteLength > 0 && !list.includes(b)) list.push(b);
  port.postMessage(reply, list);
});

function describe(e: unknown): WireJobError {
  if (!(e instanceof Error)) return { cls: "Error", name: "Error", message: String(e) };
  const code = (e as { code?: unknown }).code;
  return {
    cls: e.constructor.name,
    name: e.name,
    message: e.message,
    ...(code === undefined ? {} : { code }),
    ...(e.stack === undefined ? {} : { stack: e.stack }),
  };
}

/**
 * Figure 4's load generator: `concurrency` loops, each sending SigV4-signed POSTs back to back over
 * keep-alive connections for a fixed time; reports requests/s and latency percentiles. The same
 * client code (signing included) drives Sluice and the bare baseline server.
 */
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { percentile } from "./stats.ts";

/** SHA-256 for the signer on node:crypto (the pure-JS one would make the client the bottleneck). */
class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}
const toBuffer = (d: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof d === "string"
    ? Buffer.from(d)
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

const signer = new SignatureV4({
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  region: "us-east-1",
  service: "appflow",
  sha256: NodeSha256,
});

export interface LoadResult {
  requests: number;
  /** Requests sent, the warm-up's included. */
  sent: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Size of the last response body (bytes). */
  bodyBytes: number;
}

/** One signed POST; resolves with the status and the response body. */
export async function signedPost(
  agent: Agent,
  base: URL,
  path: string,
  json: string,
): Promise<{ status: number; body: Buffer }> {
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: base.hostname,
    port: Number(base.port),
    path,
    query: {},
    headers: { host: base.host, "content-type": "application/json" },
    body: json,
  });
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: base.hostname, port: base.port, method: "POST", path, headers: signed.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(json);
  });
}

export async function loadTest(
  url: string,
  path: string,
  json: string,
  concurrency: number,
  seconds: number,
  warmupMs = 500,
): Promise<LoadResult> {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  let bodyBytes = 0;
  const warmEnd = performance.now() + warmupMs;
  const end = warmEnd + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await signedPost(agent, base, path, json).catch(() => undefined);
      const t1 = performance.now();
      sent++;
      if (t0 < warmEnd) continue;
      if (res?.status !== 200) errors++;
      else {
        latencies.push(t1 - t0);
        bodyBytes = res.body.length;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  agent.destroy();
  return {
    requests: latencies.length,
    sent,
    errors,
    rps: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    bodyBytes,
  };
}

export interface ServerChild {
  url: string;
  /** CPU time the server process has used so far (ms; Linux /proc, else undefined). */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

/** Spawns `node --import tsx <script> ...args` and waits for its `{"url": ...}` line. */
export function startServerChild(script: string, args: string[], cwd: string): Promise<ServerChild> {
  const p = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  p.stderr.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (!line) return;
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        url,
        cpuMs: () => processCpuMs(p.pid),
        stop: async () => {
          p.kill("SIGTERM");
          await exited;
        },
      });
    });
    p.on("error", reject);
    p.on("exit", (code) => reject(new Error(`${script} exited ${code} before it was ready: ${err}`)));
  });
}

/**
 * Waits until `server` is idle: a fresh Sluice spends its first second or two starting its spare run
 * thread and compiling, which would be counted against the first requests. Resolves once a 250 ms
 * window costs it at most 10 ms of CPU, or after `timeoutMs` (then the figure carries that work).
 */
export async function untilQuiet(server: ServerChild, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const before = server.cpuMs();
    await new Promise((r) => setTimeout(r, 250));
    const after = server.cpuMs();
    if (before === undefined || after === undefined || after - before <= 10) return;
  }
}

/** utime + stime of a process from /proc/<pid>/stat, in ms (clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

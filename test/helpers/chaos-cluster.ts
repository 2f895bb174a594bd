/**
 * The moving parts of the chaos test: a seeded PRNG, N real `sluice serve` processes on one store
 * (killed and restarted by slot), their claim log, and a webhook receiver that counts every delivery.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerProcess, spawnServer } from "./process.ts";

/** mulberry32: small, fast, and replayable from the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Node {
  slot: number;
  /** Which process (slot + incarnation) this is: claims and cancels are attributed to it. */
  name: string;
  proc: ServerProcess;
}

export class Cluster {
  readonly nodes: (Node | undefined)[] = [];
  /** executionId → names of the processes that logged "run claimed" for it. */
  readonly claims = new Map<string, string[]>();
  /** Exits we did not cause (a crash is a failure). */
  readonly unexpectedExits: string[] = [];
  private incarnation = 0;

  constructor(private readonly env: (slot: number) => Record<string, string>) {
    // A test that times out may be ended before its finally: never leave a node running.
    process.once("exit", () => {
      for (const n of this.nodes) n?.proc.child.kill("SIGKILL");
    });
  }

  /** Processes that refused to start because the database was down, started again (as a supervisor would). */
  startRetries = 0;

  async start(slot: number): Promise<Node> {
    const name = `n${slot}.${this.incarnation++}`;
    const proc = await this.spawnSupervised(slot, name);
    const node = { slot, name, proc, killed: false };
    proc.child.once("exit", (code, signal) => {
      if (!node.killed) this.unexpectedExits.push(`${name} exited with ${code ?? signal}`);
    });
    this.nodes[slot] = node;
    return node;
  }

  /**
   * A node restarted while PostgreSQL is down exits at once, saying the database refused the connection
   * (failing fast at start is the server's contract); like systemd's Restart=on-failure, start it again
   * until the database is back, within a deadline.
   */
  private async spawnSupervised(slot: number, name: string): Promise<ServerProcess> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return await spawnServer([], this.env(slot), (line) => {
          if (!line.includes('"run claimed"')) return;
          const id = (JSON.parse(line) as { executionId: string }).executionId;
          this.claims.set(id, [...(this.claims.get(id) ?? []), name]);
        });
      } catch (err) {
        if (!/refused the connection/.test(String(err)) || Date.now() > deadline) throw err;
        this.startRetries++;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async kill(slot: number): Promise<void> {
    const node = this.nodes[slot] as (Node & { killed: boolean }) | undefined;
    this.nodes[slot] = undefined;
    if (!node) return;
    node.killed = true;
    await node.proc.kill("SIGKILL");
  }

  live(): Node[] {
    return this.nodes.filter((n): n is Node => n !== undefined);
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.kill(i);
  }
}

/** Counts every End report delivery per execution id: duplicates are counted, never hidden. */
export class WebhookReceiver {
  readonly ends = new Map<string, number>();
  deliveries = 0;
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += String(d);
      });
      req.on("end", () => {
        this.deliveries++;
        try {
          const ev = JSON.parse(body) as { "detail-type": string; detail: Record<string, string> };
          const id = ev.detail["execution-id"];
          if (ev["detail-type"] === "AppFlow End Flow Run Report" && id)
            this.ends.set(id, (this.ends.get(id) ?? 0) + 1);
        } catch {}
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

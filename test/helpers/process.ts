/** Runs `sluice serve` as a real child process, so tests can kill it with SIGKILL and start it again. */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { appflowClient } from "./server.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  client: ReturnType<typeof appflowClient>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  /** Every stdout line (JSON log records) from "sluice listening" on; otherwise stdout is drained. */
  onLine?: (line: string) => void,
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src/cli.ts"), "serve", "--port", "0", ...args],
    {
      cwd: root,
      env: { ...process.env, SLUICE_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += String(d);
      for (const line of buf.split("\n")) {
        if (line.includes('"sluice listening"')) {
          child.stdout?.off("data", onData);
          if (onLine) followLines(child, buf.slice(buf.indexOf(line)), onLine);
          else child.stdout?.resume();
          resolve((JSON.parse(line) as { port: number }).port);
          return;
        }
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`sluice exited with ${code} before listening: ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const client = appflowClient(url);
  return {
    child,
    url,
    client,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      client.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
  };
}

function followLines(child: ChildProcess, first: string, onLine: (line: string) => void): void {
  let rest = first;
  const flush = () => {
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) if (l) onLine(l);
  };
  flush();
  child.stdout?.on("data", (d: Buffer) => {
    rest += String(d);
    flush();
  });
}

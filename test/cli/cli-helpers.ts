/** Runs the real `sluice` binary (bin/sluice.js) as a user would: a child process, its exit code and output. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the developer's SLUICE_* and AWS_* settings, plus the development key. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SLUICE_|AWS_)/.test(k)) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_CONFIG_FILE: "/nonexistent/sluice-test/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/sluice-test/aws-credentials",
    ...extra,
  };
}

export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: cleanEnv(opts.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Waits for the "sluice listening" JSON log line of a server child and returns its port. */
export function listeningPort(child: ChildProcess, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`no "sluice listening" line in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    child.stderr?.on("data", (d) => {
      err += String(d);
    });
    const onData = (d: Buffer) => {
      buf += String(d);
      const line = buf.split("\n").find((l) => l.includes('"sluice listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      resolve((JSON.parse(line) as { port: number }).port);
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening: ${err}`));
    });
  });
}

export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once("exit", (code) => r(code)));

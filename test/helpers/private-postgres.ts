/**
 * A private PostgreSQL cluster for tests that stop or restart the server: initdb into a temp dir,
 * a free port on 127.0.0.1, trust auth, removed at the end. The shared server on 5432 is never
 * touched (other tests use it all the time). Uses the Debian binaries (/usr/lib/postgresql/<ver>/bin);
 * as root, they run as the `postgres` OS user (PostgreSQL refuses to run as root).
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface PrivatePostgres {
  url: string;
  port: number;
  /** Stops the server (fast shutdown: connections are terminated, as a restart does). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops everything and deletes the cluster. */
  destroy(): void;
}

/** The newest installed server's bin directory, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
  const dir = mkdtempSync(join(tmpdir(), "sluice-pg-"));
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync("id", ["-u", "postgres"]).toString().trim()) : undefined;
  const gid = asRoot ? Number(execFileSync("id", ["-g", "postgres"]).toString().trim()) : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const run = (tool: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, tool), ...args], { stdio: "pipe" })
      : execFileSync(join(bin, tool), args, { stdio: "pipe" });
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  // Durability is not under test here; fsync off keeps a 2-core machine responsive.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const ctlArgs = (args: string[]) => {
    const full = [join(bin, "pg_ctl"), "-D", data, "-w", "-t", "60", ...args];
    return asRoot
      ? (["runuser", ["-u", "postgres", "--", ...full]] as const)
      : ([full[0] as string, full.slice(1)] as const);
  };
  // Async, so the test's own servers (a webhook receiver) keep answering while PostgreSQL moves.
  const ctl = async (...args: string[]) => {
    const [cmd, rest] = ctlArgs(args);
    await promisify(execFile)(cmd, [...rest]);
  };
  const startArgs = ["-o", opts, "-l", join(dir, "log"), "start"];
  const start = () => ctl(...startArgs);
  await start();
  let up = true;
  // A test that times out may be ended before its finally: never leave a server behind.
  const onExit = () => {
    try {
      const [cmd, rest] = ctlArgs(["-m", "immediate", "stop"]);
      if (up) execFileSync(cmd, [...rest], { stdio: "pipe" });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await ctl("-m", "fast", "stop");
      up = false;
    },
    async start() {
      await start();
      up = true;
    },
    destroy() {
      process.off("exit", onExit);
      try {
        const [cmd, rest] = ctlArgs(["-m", "immediate", "stop"]);
        if (up) execFileSync(cmd, [...rest], { stdio: "pipe" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

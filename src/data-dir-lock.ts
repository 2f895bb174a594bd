/**
 * With SQLite one process owns a data dir: its startup reaper treats every claimed run as orphaned,
 * which is only true if no other live process is running them. A pid lock file enforces that.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Data dirs this process holds (a file naming our own pid is stale only if we don't hold it). */
const held = new Set<string>();

export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "sluice.pid");
  if (held.has(file)) throw new Error(`data dir ${dataDir} is in use by process ${process.pid}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(file);
      return () => {
        held.delete(file);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`data dir ${dataDir} is in use by process ${pid}`);
      }
      // A stale lock from a process that died (e.g. SIGKILL): take it over.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock data dir ${dataDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

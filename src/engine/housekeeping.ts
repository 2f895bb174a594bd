/**
 * Keeps the store and the data dir from growing without bound: expired clientToken records, run
 * reports every webhook received long ago, and local-S3 staging files of uploads that a killed
 * process never finished (untouched for a day: no live upload is that idle) are deleted periodically.
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../logger.ts";
import { purgeIdempotent } from "../store/idempotency-sql.ts";
import type { Store } from "../store/open-store.ts";
import { purgeDelivered } from "../store/outbox-sql.ts";
import { Periodic } from "./periodic.ts";

const DELIVERED_KEEP_MS = 7 * 24 * 3600_000;
const STAGING_IDLE_MS = 24 * 3600_000;

export class Housekeeping {
  private readonly periodic: Periodic;

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly idempotencyMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
    intervalMs = 10 * 60_000,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.tick());
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  tick(): Promise<void> {
    return this.periodic.exclusive(() => this.purge());
  }

  private async purge(): Promise<void> {
    try {
      await purgeIdempotent(this.store.db, this.now() - this.idempotencyMs);
      await purgeDelivered(this.store.db, this.now() - DELIVERED_KEEP_MS);
      await removeIdleStaging(join(this.dataDir, "s3", ".staging"), this.now() - STAGING_IDLE_MS);
    } catch (err) {
      this.log.warn({ err }, "housekeeping failed");
    }
  }
}

async function removeIdleStaging(dir: string, idleSince: number): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) {
    const p = join(dir, e);
    const st = await stat(p).catch(() => undefined);
    if (st && st.mtimeMs < idleSince) await rm(p, { recursive: true, force: true });
  }
}

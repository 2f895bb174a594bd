/**
 * Ends runs whose worker is gone, so no run stays InProgress or CancelStarted forever. With SQLite
 * one process owns the data dir, so at startup every claimed run belongs to a dead process; with
 * PostgreSQL other nodes may be alive, so only expired leases are reaped.
 */
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { reapRuns } from "../store/runs/end-run.ts";
import type { RunsTable } from "../store/schema.ts";

export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly store: Store,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly onReaped: (runs: RunsTable[]) => void,
  ) {}

  /** Runs the startup pass, then the periodic one. */
  async start(): Promise<void> {
    if (this.timer) return;
    if (this.store.caps.dialect === "sqlite") {
      const runs = await reapRuns(this.store.db, this.now(), {
        onlyExpired: false,
        errorMessage: "The flow run was interrupted by a server restart.",
      });
      this.report(runs);
    }
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async tick(): Promise<RunsTable[]> {
    if (this.busy) return [];
    this.busy = true;
    try {
      const runs = await reapRuns(this.store.db, this.now(), {
        onlyExpired: true,
        errorMessage:
          "The worker running this flow run was lost (its lease expired); the run was interrupted.",
      });
      this.report(runs);
      return runs;
    } catch (err) {
      this.log.error({ err }, "reaping expired runs failed");
      return [];
    } finally {
      this.busy = false;
    }
  }

  private report(runs: RunsTable[]): void {
    for (const r of runs) {
      this.log.warn({ executionId: r.execution_id, flowName: r.flow_name, status: r.status }, "run reaped");
    }
    if (runs.length > 0) this.onReaped(runs);
  }
}

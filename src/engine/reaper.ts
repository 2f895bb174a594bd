/**
 * Ends runs whose worker is gone, so no run stays InProgress or CancelStarted forever. With SQLite
 * one process owns the data dir, so at startup every claimed run belongs to a dead process; with
 * PostgreSQL other nodes may be alive, so only expired leases are reaped.
 */
import type { Logger } from "../logger.ts";
import type { Store } from "../store/open-store.ts";
import { reapRuns } from "../store/runs/end-run.ts";
import type { RunsTable } from "../store/schema.ts";
import { Periodic } from "./periodic.ts";

export class Reaper {
  private readonly periodic: Periodic;

  constructor(
    private readonly store: Store,
    intervalMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly onReaped: (runs: RunsTable[]) => void,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.tick());
  }

  /** Runs the startup pass, then the periodic one. */
  async start(): Promise<void> {
    if (this.store.caps.dialect === "sqlite") {
      const runs = await reapRuns(this.store.db, this.store.caps, this.now(), {
        onlyExpired: false,
        errorMessage: "The flow run was interrupted by a server restart.",
      });
      this.report(runs);
    }
    await this.tick();
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  tick(): Promise<RunsTable[]> {
    return this.periodic.exclusive(() => this.reapExpired());
  }

  private async reapExpired(): Promise<RunsTable[]> {
    try {
      const runs = await reapRuns(this.store.db, this.store.caps, this.now(), {
        onlyExpired: true,
        errorMessage:
          "The worker running this flow run was lost (its lease expired); the run was interrupted.",
      });
      this.report(runs);
      return runs;
    } catch (err) {
      this.log.error({ err }, "reaping expired runs failed");
      return [];
    }
  }

  private report(runs: RunsTable[]): void {
    for (const r of runs) {
      this.log.warn({ executionId: r.execution_id, flowName: r.flow_name, status: r.status }, "run reaped");
    }
    if (runs.length > 0) this.onReaped(runs);
  }
}

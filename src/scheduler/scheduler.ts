/**
 * Fires scheduled flows. Each tick of a flow fires once across all nodes: the run is inserted in the
 * same transaction that moves `next_fire_at` past the tick (compare-and-set), so two schedulers
 * racing for one tick produce one run. Missed ticks (server down) fire once, not once per tick missed.
 * An incremental window starts at the flow's watermark (the end of the last Successful run's
 * window), so a failed, canceled or skipped run loses nothing: the next window covers it. A tick
 * while a run of the flow is still in progress is skipped (windows never overlap), as is one over
 * the concurrent-run quota.
 * The clock is passed to `tick(now)`, so tests drive time without sleeping.
 */
import { flowSnapshot } from "../api/handlers/flow-view.ts";
import { QuotaExceededError } from "../domain/errors.ts";
import type { TriggerConfig } from "../domain/flow.ts";
import { Periodic } from "../engine/periodic.ts";
import type { Logger } from "../logger.ts";
import type { FlowRow } from "../store/flows-sql.ts";
import type { Store } from "../store/open-store.ts";
import { insertRun } from "../store/runs/create-run.ts";
import { activeRunIds } from "../store/runs/list-runs.ts";
import { advanceTick, dueFlows, recentStatuses, setSchedule } from "../store/schedule-sql.ts";
import { getWatermark } from "../store/watermark-sql.ts";
import { nextFire } from "./next-fire.ts";

export interface SchedulerDeps {
  store: Store;
  log: Logger;
  maxActiveRunsPerAccount: number;
  /** A run was queued: wake the workers. */
  onRun(executionId: string, flow: FlowRow): void;
  newId(): string;
}

export class Scheduler {
  private readonly periodic: Periodic;

  constructor(
    private readonly deps: SchedulerDeps,
    intervalMs: number,
    clock: () => number,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.tick(clock()));
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Fires every flow due at `now` (after any tick in progress); returns the ids of the runs created. */
  tick(now: number): Promise<string[]> {
    return this.periodic.exclusive(() => this.fireDue(now));
  }

  private async fireDue(now: number): Promise<string[]> {
    const fired: string[] = [];
    for (const flow of await dueFlows(this.deps.store.db, now, 100)) {
      try {
        const id = await this.fire(flow, now);
        if (id) fired.push(id);
      } catch (err) {
        this.deps.log.error({ err, flowName: flow.flow_name }, "firing a scheduled flow failed");
      }
    }
    return fired;
  }

  private async fire(flow: FlowRow, now: number): Promise<string | undefined> {
    const { store, log } = this.deps;
    const tick = flow.next_fire_at!;
    const trigger = (JSON.parse(flow.definition) as { triggerConfig: TriggerConfig }).triggerConfig;
    const props = trigger.triggerProperties?.Scheduled;
    const threshold = props?.flowErrorDeactivationThreshold;
    if (threshold) {
      const recent = await recentStatuses(store.db, flow.account_id, flow.flow_name, threshold);
      if (recent.length === threshold && recent.every((s) => s === "Error")) {
        // Compare-and-set: an UpdateFlow/StopFlow since the read wins; the next tick decides again.
        await setSchedule(store.db, flow.account_id, flow.flow_name, flow.row_version, "Suspended", null);
        log.warn(
          { flowName: flow.flow_name, threshold },
          "scheduled flow deactivated after consecutive failed runs",
        );
        return undefined;
      }
    }
    const next = nextFire(trigger, tick, now);
    const incremental = props?.dataPullMode === "Incremental";
    const id = this.deps.newId();
    const created = await store.db.transaction().execute(async (trx) => {
      // The tick moves on first: it locks the flow row, so no other run of it starts meanwhile.
      if (!(await advanceTick(trx, flow.account_id, flow.flow_name, tick, next ?? null))) return false;
      let window: { start?: number; end: number } | undefined;
      if (incremental) {
        if ((await activeRunIds(trx, flow.account_id, flow.flow_name)).length > 0) {
          log.warn(
            { flowName: flow.flow_name, tick },
            "tick skipped: a run of the flow is still in progress",
          );
          return false;
        }
        // Read after the active check: a run that ended committed its watermark with its end.
        // The first incremental run pulls from firstExecutionFrom, or everything when it isn't set.
        const from =
          (await getWatermark(trx, flow.account_id, flow.flow_name)) ??
          (props?.firstExecutionFrom !== undefined ? props.firstExecutionFrom * 1000 : undefined);
        window = { ...(from !== undefined ? { start: from } : {}), end: tick };
      }
      try {
        await insertRun(
          trx,
          store.caps,
          {
            executionId: id,
            accountId: flow.account_id,
            flowName: flow.flow_name,
            flowArn: flow.flow_arn,
            triggerType: "Scheduled",
            flowSnapshot: JSON.stringify(flowSnapshot(flow, window)),
            now,
            ...(window ? { window } : {}),
          },
          this.deps.maxActiveRunsPerAccount,
        );
        return true;
      } catch (err) {
        // Over the concurrent-run quota: this tick is skipped (the schedule moves on), as AppFlow does.
        if (!(err instanceof QuotaExceededError)) throw err;
        log.warn({ flowName: flow.flow_name, tick }, err.message);
        return false;
      }
    });
    if (!created) return undefined;
    log.info(
      { executionId: id, flowName: flow.flow_name, account: flow.account_id, tick },
      "scheduled run queued",
    );
    this.deps.onRun(id, flow);
    return id;
  }
}

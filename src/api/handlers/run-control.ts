/** Cancelling runs from a request: commit the cancel in the store, then tell this process's workers. */
import type { App, Caller } from "../../app.ts";
import { ConflictError } from "../../domain/errors.ts";
import { deleteIdleFlow, type FlowRow } from "../../store/flows-sql.ts";
import { type CancelResult, cancelRuns } from "../../store/runs/cancel-runs.ts";
import { activeRunIds } from "../../store/runs/list-runs.ts";

export async function cancelFlowRuns(
  app: App,
  caller: Caller,
  flowName: string,
  executionIds: string[] | undefined,
): Promise<CancelResult> {
  const result = await cancelRuns(
    app.store.db,
    app.store.caps,
    caller.accountId,
    flowName,
    executionIds,
    app.now(),
  );
  // Durable first (the transaction above committed), then the fast path to a local worker. Workers
  // in other processes see CancelStarted at their next heartbeat or checkpoint.
  app.workers.notifyCancel(result.cancelStarted);
  const ctx = { account: caller.accountId, flowName, requestId: caller.requestId };
  for (const id of result.cancelStarted)
    app.log.info({ ...ctx, executionId: id, status: "CancelStarted" }, "run state");
  for (const id of result.canceled)
    app.log.info({ ...ctx, executionId: id, status: "Canceled" }, "run state");
  return result;
}

/**
 * DeleteFlow's rule: a flow with runs in progress is not deleted (ConflictException) unless
 * forceDelete, which cancels them and waits (bounded by the cancel grace and force periods) until
 * every run is terminal. The delete itself re-checks in its own transaction, with the flow locked
 * against new runs, so a run started or still stopping at that moment is never deleted.
 */
export async function deleteFlowWhenIdle(
  app: App,
  caller: Caller,
  row: FlowRow,
  force: boolean,
): Promise<void> {
  const { cancelGraceMs, cancelForceMs } = app.config.engine;
  const deadline = app.now() + cancelGraceMs + cancelForceMs + 5_000;
  for (;;) {
    const r = await deleteIdleFlow(app.store.db, app.store.caps, row);
    if (r.deleted) return;
    if (!force) {
      throw new ConflictError(
        `Flow ${row.flow_name} has ${r.activeRuns} run(s) in progress; cancel them first or delete with forceDelete`,
      );
    }
    if (app.now() >= deadline) {
      throw new ConflictError(
        `Flow ${row.flow_name} still has ${r.activeRuns} run(s) stopping; the flow was not deleted, retry the delete`,
      );
    }
    // Cancel every run (again: one may have started since), then wait for all of them to end.
    await cancelFlowRuns(app, caller, row.flow_name, undefined);
    while (
      (await activeRunIds(app.store.db, caller.accountId, row.flow_name)).length > 0 &&
      app.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

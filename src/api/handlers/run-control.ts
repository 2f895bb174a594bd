/** Cancelling runs from a request: commit the cancel in the store, then tell this process's workers. */
import type { App, Caller } from "../../app.ts";
import { ConflictError } from "../../domain/errors.ts";
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
 * DeleteFlow's rule: runs in progress block it unless forceDelete, which cancels them, waits for
 * them to end (bounded by the cancel grace period); DeleteFlow then removes the flow's run records.
 */
export async function forceEndRuns(
  app: App,
  caller: Caller,
  flowName: string,
  force: boolean,
): Promise<void> {
  const active = await activeRunIds(app.store.db, caller.accountId, flowName);
  if (active.length > 0 && !force) {
    throw new ConflictError(
      `Flow ${flowName} has ${active.length} run(s) in progress; cancel them first or delete with forceDelete`,
    );
  }
  if (active.length > 0) {
    await cancelFlowRuns(app, caller, flowName, undefined);
    const { cancelGraceMs, cancelForceMs } = app.config.engine;
    const deadline = app.now() + cancelGraceMs + cancelForceMs + 5_000;
    while (
      (await activeRunIds(app.store.db, caller.accountId, flowName)).length > 0 &&
      app.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** StartFlow, StopFlow, CancelFlowExecutions, DescribeFlowExecutionRecords. */
import { randomUUID } from "node:crypto";
import type { App, Caller } from "../../app.ts";
import { ConflictError, ResourceNotFoundError, UnsupportedOperationError } from "../../domain/errors.ts";
import { firstFire } from "../../scheduler/next-fire.ts";
import { type FlowRow, getFlow } from "../../store/flows-sql.ts";
import { createRun } from "../../store/runs/create-run.ts";
import { listRuns } from "../../store/runs/list-runs.ts";
import { setSchedule } from "../../store/schedule-sql.ts";
import { definitionOf, executionRecord, flowSnapshot } from "./flow-view.ts";
import { idempotent } from "./idempotency.ts";
import { decodeToken, encodeToken } from "./pagination.ts";
import { cancelFlowRuns } from "./run-control.ts";

async function mustGetFlow(app: App, caller: Caller, flowName: string) {
  const row = await getFlow(app.store.db, caller.accountId, flowName);
  if (!row) throw new ResourceNotFoundError(`Flow ${flowName} does not exist`);
  return row;
}

export async function startFlow(app: App, caller: Caller, input: { flowName: string; clientToken?: string }) {
  return idempotent(app, caller, "StartFlow", input, async () => {
    const row = await mustGetFlow(app, caller, input.flowName);
    if (row.trigger_type === "Scheduled") return activateSchedule(app, row);
    if (row.trigger_type !== "OnDemand") {
      throw new UnsupportedOperationError(
        `Flow ${row.flow_name} is an ${row.trigger_type} flow; event triggers are not implemented`,
      );
    }
    if (row.flow_status !== "Active") {
      throw new ConflictError(`Flow ${row.flow_name} is ${row.flow_status}; only an Active flow can start`);
    }
    const snapshot = flowSnapshot(row);
    const run = await createRun(
      app.store.db,
      app.store.caps,
      {
        executionId: randomUUID(),
        accountId: caller.accountId,
        flowName: row.flow_name,
        flowArn: row.flow_arn,
        triggerType: row.trigger_type,
        flowSnapshot: JSON.stringify(snapshot),
        now: app.now(),
      },
      app.config.limits.maxActiveRunsPerAccount,
    );
    app.log.info(
      { executionId: run.execution_id, flowName: row.flow_name, account: caller.accountId },
      "run queued",
    );
    app.metrics.runsStarted.inc({ flow: row.flow_name, trigger: row.trigger_type });
    app.workers.wake();
    return { flowArn: row.flow_arn, flowStatus: row.flow_status, executionId: run.execution_id };
  });
}

/** StartFlow of a scheduled flow activates it: no run now, runs at its schedule's ticks. */
async function activateSchedule(app: App, row: FlowRow) {
  if (row.flow_status === "Active") throw new ConflictError(`Flow ${row.flow_name} is already active`);
  const next = firstFire(definitionOf(row).triggerConfig, app.now());
  if (next === undefined) {
    throw new ConflictError(
      `Flow ${row.flow_name} has no run left in its schedule (scheduleEndTime has passed)`,
    );
  }
  await setSchedule(app.store.db, row.account_id, row.flow_name, "Active", next);
  return { flowArn: row.flow_arn, flowStatus: "Active" };
}

/** StopFlow deactivates a scheduled flow: no new runs. Runs in progress are not cancelled. */
export async function stopFlow(app: App, caller: Caller, input: { flowName: string }) {
  const row = await mustGetFlow(app, caller, input.flowName);
  if (row.trigger_type === "OnDemand") {
    throw new UnsupportedOperationError(
      `Flow ${row.flow_name} is an on-demand flow; StopFlow deactivates scheduled and event-triggered flows only`,
    );
  }
  if (row.flow_status !== "Active")
    throw new ConflictError(`Flow ${row.flow_name} is not active (${row.flow_status})`);
  await setSchedule(app.store.db, row.account_id, row.flow_name, "Suspended", null);
  return { flowArn: row.flow_arn, flowStatus: "Suspended" };
}

export async function cancelFlowExecutions(
  app: App,
  caller: Caller,
  input: { flowName: string; executionIds?: string[] },
) {
  await mustGetFlow(app, caller, input.flowName);
  const result = await cancelFlowRuns(app, caller, input.flowName, input.executionIds);
  return { invalidExecutions: result.invalidExecutions };
}

export async function describeFlowExecutionRecords(
  app: App,
  caller: Caller,
  input: { flowName: string; maxResults?: number; nextToken?: string },
) {
  await mustGetFlow(app, caller, input.flowName);
  const limit = input.maxResults ?? 20;
  const after = decodeToken<{ c: number; i: string }>(input.nextToken, { c: "number", i: "string" });
  const rows = await listRuns(
    app.store.db,
    caller.accountId,
    input.flowName,
    limit + 1,
    after ? { createdAt: after.c, executionId: after.i } : undefined,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    flowExecutions: page.map(executionRecord),
    nextToken:
      rows.length > limit && last ? encodeToken({ c: last.created_at, i: last.execution_id }) : undefined,
  };
}

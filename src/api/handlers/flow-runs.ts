/** StartFlow, StopFlow, CancelFlowExecutions, DescribeFlowExecutionRecords. */
import { randomUUID } from "node:crypto";
import type { App, Caller } from "../../app.ts";
import { ConflictError, ResourceNotFoundError, UnsupportedOperationError } from "../../domain/errors.ts";
import { firstFire } from "../../scheduler/next-fire.ts";
import { resetSubscription } from "../../store/event-subscriptions-sql.ts";
import { type FlowRow, flowExists } from "../../store/flows-sql.ts";
import { withToken } from "../../store/idempotency-sql.ts";
import { createRun } from "../../store/runs/create-run.ts";
import { runRecordsPage } from "../../store/runs/records-page.ts";
import { setSchedule } from "../../store/schedule-sql.ts";
import { WireJson } from "../protocol/serialize.ts";
import { definitionOf, flowSnapshot } from "./flow-view.ts";
import { casFlow, mustGetFlow } from "./flow-writes.ts";
import { idempotent, type TokenGuard } from "./idempotency.ts";
import { decodeToken, encodeToken } from "./pagination.ts";
import { cancelFlowRuns } from "./run-control.ts";

export async function startFlow(app: App, caller: Caller, input: { flowName: string; clientToken?: string }) {
  return idempotent(app, caller, "StartFlow", input, async (guard) => {
    const row = await mustGetFlow(app, caller, input.flowName);
    if (row.trigger_type === "Scheduled") {
      return casFlow(app, caller, input.flowName, (cur) => activateSchedule(app, cur, guard));
    }
    if (row.trigger_type === "Event") {
      return casFlow(app, caller, input.flowName, (cur) => activateEvents(app, cur, guard));
    }
    if (row.trigger_type !== "OnDemand") {
      throw new UnsupportedOperationError(`Flow ${row.flow_name} has an unknown trigger ${row.trigger_type}`);
    }
    if (row.flow_status !== "Active") {
      throw new ConflictError(`Flow ${row.flow_name} is ${row.flow_status}; only an Active flow can start`);
    }
    const snapshot = flowSnapshot(row);
    const executionId = randomUUID();
    const response = { flowArn: row.flow_arn, flowStatus: row.flow_status, executionId };
    const run = await createRun(
      app.store.db,
      app.store.caps,
      {
        executionId,
        accountId: caller.accountId,
        flowName: row.flow_name,
        flowArn: row.flow_arn,
        triggerType: row.trigger_type,
        flowSnapshot: JSON.stringify(snapshot),
        now: app.now(),
      },
      app.config.limits.maxActiveRunsPerAccount,
      guard(response),
    );
    app.log.info(
      { executionId: run.execution_id, flowName: row.flow_name, account: caller.accountId },
      "run queued",
    );
    app.metrics.runsStarted.inc({ flow: row.flow_name, trigger: row.trigger_type });
    app.workers.wake();
    return response;
  });
}

/** StartFlow of a scheduled flow activates it: no run now, runs at its schedule's ticks. */
async function activateSchedule(
  app: App,
  row: FlowRow,
  guard: TokenGuard<{ flowArn: string; flowStatus: string }>,
) {
  if (row.flow_status === "Active") throw new ConflictError(`Flow ${row.flow_name} is already active`);
  const next = firstFire(definitionOf(row).triggerConfig, app.now());
  if (next === undefined) {
    throw new ConflictError(
      `Flow ${row.flow_name} has no run left in its schedule (scheduleEndTime has passed)`,
    );
  }
  const response = { flowArn: row.flow_arn, flowStatus: "Active" };
  const ok = await withToken(app.store.db, guard(response), (db) =>
    setSchedule(db, row.account_id, row.flow_name, row.row_version, "Active", next),
  );
  return ok ? response : undefined;
}

/**
 * StartFlow of an event flow activates it: a node's event subscriber picks it up (within a heartbeat)
 * and subscribes for new events only; each batch of events becomes a run. An Errored flow (its replay
 * id expired) starts afresh the same way.
 */
async function activateEvents(
  app: App,
  row: FlowRow,
  guard: TokenGuard<{ flowArn: string; flowStatus: string }>,
) {
  if (row.flow_status === "Active") throw new ConflictError(`Flow ${row.flow_name} is already active`);
  const response = { flowArn: row.flow_arn, flowStatus: "Active" };
  const ok = await withToken(app.store.db, guard(response), async (db) => {
    // Cleared first: a subscriber can only start once the flow is Active, and then finds no replay id.
    await resetSubscription(db, row.account_id, row.flow_name);
    return setSchedule(db, row.account_id, row.flow_name, row.row_version, "Active", null);
  });
  return ok ? response : undefined;
}

/** StopFlow deactivates a scheduled flow: no new runs. Runs in progress are not cancelled. */
export async function stopFlow(app: App, caller: Caller, input: { flowName: string }) {
  return casFlow(app, caller, input.flowName, async (row) => {
    if (row.trigger_type === "OnDemand") {
      throw new UnsupportedOperationError(
        `Flow ${row.flow_name} is an on-demand flow; StopFlow deactivates scheduled and event-triggered flows only`,
      );
    }
    if (row.flow_status !== "Active")
      throw new ConflictError(`Flow ${row.flow_name} is not active (${row.flow_status})`);
    const ok = await setSchedule(
      app.store.db,
      row.account_id,
      row.flow_name,
      row.row_version,
      "Suspended",
      null,
    );
    return ok ? { flowArn: row.flow_arn, flowStatus: "Suspended" } : undefined;
  });
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
  if (!(await flowExists(app.store.db, app.store.caps.dialect, caller.accountId, input.flowName)))
    throw new ResourceNotFoundError(`Flow ${input.flowName} does not exist`);
  const after = decodeToken<{ c: number; i: string }>(input.nextToken, { c: "number", i: "string" });
  const { items, next } = await runRecordsPage(
    app.store.db,
    app.store.caps.dialect,
    caller.accountId,
    input.flowName,
    input.maxResults ?? 20,
    after ? { createdAt: after.c, executionId: after.i } : undefined,
  );
  const token = next
    ? `,"nextToken":${JSON.stringify(encodeToken({ c: next.createdAt, i: next.executionId }))}`
    : "";
  return new WireJson(`{"flowExecutions":[${items}]${token}}`);
}

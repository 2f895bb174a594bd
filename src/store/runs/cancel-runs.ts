/**
 * CancelFlowExecutions in one transaction (DESIGN.md §1): InProgress runs of the flow that a worker
 * has claimed become CancelStarted; unclaimed ones go straight to Canceled (nothing to stop). Ids
 * already CancelStarted are accepted again; every other id is invalid. Durable once this commits.
 */
import type { Kysely } from "kysely";
import type { ExecutionStatus } from "../../domain/flow.ts";
import { notify } from "../notify-sql.ts";
import type { StoreCapabilities } from "../open-store.ts";
import type { Database } from "../schema.ts";
import { insertRunEvent } from "./outbox-insert.ts";

export interface CancelResult {
  invalidExecutions: string[];
  /** Runs a worker must now stop. */
  cancelStarted: string[];
  /** Runs that were never started and are now Canceled. */
  canceled: string[];
}

export async function cancelRuns(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  accountId: string,
  flowName: string,
  executionIds: string[] | undefined,
  now: number,
): Promise<CancelResult> {
  if (executionIds !== undefined && executionIds.length === 0) {
    return { invalidExecutions: [], cancelStarted: [], canceled: [] };
  }
  const unique = executionIds ? [...new Set(executionIds)] : undefined;
  return db.transaction().execute(async (trx) => {
    let q = trx
      .updateTable("runs")
      .set((eb) => ({
        status: eb
          .case()
          .when("claimed", "=", 1)
          .then("CancelStarted" as ExecutionStatus)
          .else("Canceled" as ExecutionStatus)
          .end(),
        ended_at: eb.case().when("claimed", "=", 1).then(eb.ref("ended_at")).else(now).end(),
        cancel_requested_at: now,
        updated_at: now,
      }))
      .where("account_id", "=", accountId)
      .where("flow_name", "=", flowName)
      .where("status", "=", "InProgress");
    if (unique) q = q.where("execution_id", "in", unique);
    const changed = await q.returningAll().execute();
    const canceled = changed.filter((r) => r.status === "Canceled");
    for (const r of canceled) await insertRunEvent(trx, r, "AppFlow End Flow Run Report", now);
    const cancelStarted = changed.filter((r) => r.status === "CancelStarted").map((r) => r.execution_id);
    // Workers in other processes hear of it the moment this commits (and at their next heartbeat anyway).
    if (cancelStarted.length > 0) await notify(trx, caps, "cancel", cancelStarted);
    await caps.interleave?.("cancel-runs", trx);
    if (!unique)
      return { invalidExecutions: [], cancelStarted, canceled: canceled.map((r) => r.execution_id) };

    const accepted = new Set(changed.map((r) => r.execution_id));
    // A repeated cancel of a run that is still stopping is accepted without change.
    const already = await trx
      .selectFrom("runs")
      .select("execution_id")
      .where("account_id", "=", accountId)
      .where("flow_name", "=", flowName)
      .where("status", "=", "CancelStarted")
      .where("execution_id", "in", unique)
      .execute();
    for (const r of already) accepted.add(r.execution_id);
    return {
      invalidExecutions: unique.filter((id) => !accepted.has(id)),
      cancelStarted,
      canceled: canceled.map((r) => r.execution_id),
    };
  });
}

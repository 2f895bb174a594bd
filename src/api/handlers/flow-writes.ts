/**
 * Read-decide-write of a flow row. Every write to a flow row is a compare-and-set on `row_version`
 * (UpdateFlow, StartFlow/StopFlow of a schedule, a scheduler tick, a deactivation), so a request
 * that lost a race re-reads the row and decides again instead of writing back a stale state.
 */
import type { App, Caller } from "../../app.ts";
import { ConflictError, ResourceNotFoundError } from "../../domain/errors.ts";
import { type FlowRow, getFlow } from "../../store/flows-sql.ts";

const ATTEMPTS = 5;

export async function mustGetFlow(app: App, caller: Caller, flowName: string): Promise<FlowRow> {
  const row = await getFlow(app.store.db, caller.accountId, flowName);
  if (!row) throw new ResourceNotFoundError(`Flow ${flowName} does not exist`);
  return row;
}

/**
 * Runs `attempt` on the current row until its compare-and-set succeeds (it returns a result) or
 * loses too often (it returns undefined each time).
 */
export async function casFlow<T>(
  app: App,
  caller: Caller,
  flowName: string,
  attempt: (row: FlowRow) => Promise<T | undefined>,
): Promise<T> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const out = await attempt(await mustGetFlow(app, caller, flowName));
    if (out !== undefined) return out;
  }
  throw new ConflictError(`Flow ${flowName} is being changed by other requests; retry`);
}

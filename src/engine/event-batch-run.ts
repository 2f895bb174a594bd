/**
 * Delivers one batch of an event flow's change events as a run (triggerType Event): the run is created
 * already claimed by this node, executed by the ordinary executor with the buffered events as its
 * source, and ended through the store; when it ends Successful the replay id of its last event is
 * stored in that same transaction, so a restart resumes exactly after what was delivered.
 */
import { randomUUID } from "node:crypto";
import { flowSnapshot } from "../api/handlers/flow-view.ts";
import { getConnector } from "../connectors/registry.ts";
import type { ConnectorDefinition } from "../connectors/sdk/definition.ts";
import type { SourceEvent } from "../connectors/sdk/events.ts";
import type { FieldValue, RecordBatch, Source } from "../connectors/types.ts";
import { storeReplayId } from "../store/event-subscriptions-sql.ts";
import type { FlowRow } from "../store/flows-sql.ts";
import type { Store } from "../store/open-store.ts";
import { insertRun } from "../store/runs/create-run.ts";
import { endRun } from "../store/runs/end-run.ts";
import { leaseUntil } from "../store/runs/lease-clock.ts";
import { type RunCounts, touchRun } from "../store/runs/touch-run.ts";
import type { RunsTable } from "../store/schema.ts";
import { type ExecutorDeps, executeRun } from "./run-executor.ts";
import { RunHandle } from "./run-handle.ts";

export interface EventBatchDeps extends Omit<ExecutorDeps, "checkpoint" | "connectors"> {
  store: Store;
  owner: string;
  leaseMs: number;
  heartbeatMs: number;
  cancelGraceMs: number;
  maxActiveRunsPerAccount: number;
}

export async function deliverEventBatch(
  deps: EventBatchDeps,
  flow: FlowRow,
  events: SourceEvent[],
): Promise<RunsTable | undefined> {
  const { store, owner } = deps;
  const id = randomUUID();
  const now = deps.now();
  const run = await store.db.transaction().execute(async (trx) => {
    await insertRun(
      trx,
      store.caps,
      {
        executionId: id,
        accountId: flow.account_id,
        flowName: flow.flow_name,
        flowArn: flow.flow_arn,
        triggerType: "Event",
        flowSnapshot: JSON.stringify(flowSnapshot(flow)),
        now,
      },
      deps.maxActiveRunsPerAccount,
    );
    // Claimed in the creating transaction: no worker of the pool ever sees it unclaimed.
    return trx
      .updateTable("runs")
      .set({
        claimed: 1,
        lease_owner: owner,
        lease_expires_at: leaseUntil(store.caps, now, deps.leaseMs),
        started_at: now,
      })
      .where("execution_id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  const handle = new RunHandle(id, deps.cancelGraceMs, deps.cancelGraceMs, () => {});
  let counts: RunCounts | undefined;
  const touch = async () => {
    const status = await touchRun(store.db, store.caps, id, owner, deps.now(), deps.leaseMs, counts);
    if (!status) handle.stop("lease-lost", deps.now());
    else if (status === "CancelStarted") handle.stop("cancel", deps.now());
  };
  const beat = setInterval(() => void touch().catch(() => {}), deps.heartbeatMs);
  try {
    const srcType = flow.source_type;
    const lookup = (t: string): ConnectorDefinition | undefined => {
      const def = getConnector(t);
      if (t !== srcType || !def?.source) return def;
      return { ...def, source: { ...def.source, create: () => eventsSource(events) } };
    };
    const outcome = await executeRun(run, handle, {
      ...deps,
      connectors: lookup,
      checkpoint: async (c) => {
        counts = c;
        await touch();
      },
    });
    if (handle.fenced) return undefined;
    const last = events.at(-1)?.replayId;
    return await endRun(store.db, id, owner, outcome, deps.now(), store.caps, async (trx, row) => {
      if (row.status === "Successful" && last !== undefined)
        await storeReplayId(trx, flow.account_id, flow.flow_name, last);
    });
  } finally {
    clearInterval(beat);
    handle.dispose();
  }
}

/** The buffered events as a one-batch source: fields are every field any event carries. */
function eventsSource(events: SourceEvent[]): Source {
  const fields: string[] = [];
  const seen = new Set<string>();
  for (const e of events)
    for (const k of Object.keys(e.record))
      if (!seen.has(k)) {
        seen.add(k);
        fields.push(k);
      }
  const rows: FieldValue[][] = events.map((e) => fields.map((f) => e.record[f] ?? null));
  const batch: RecordBatch = {
    fields,
    rows,
    bytes: Buffer.byteLength(JSON.stringify(events.map((e) => e.record))),
  };
  return {
    commitMode: "batch",
    maxPageSize: events.length,
    numParallelProcesses: 1,
    async *read() {
      yield batch;
    },
  };
}

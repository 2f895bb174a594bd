/**
 * Delivers one batch of an event flow's change events as a run (triggerType Event): the run is created
 * already claimed by this node and recorded as the flow's batch in progress (event-batches-sql.ts),
 * executed by the ordinary executor with the buffered events as its source, and ended through the
 * store; when it ends Successful the replay id of its last event is stored in that same transaction,
 * so a restart resumes exactly after what was delivered. A crash between the destination's commit and
 * the run's end is covered by the recorded batch: the next subscriber resumes the same run.
 */
import { randomUUID } from "node:crypto";
import { flowSnapshot } from "../api/handlers/flow-view.ts";
import { getConnector } from "../connectors/registry.ts";
import type { ConnectorDefinition, DestinationDefinition } from "../connectors/sdk/definition.ts";
import type { SourceEvent } from "../connectors/sdk/events.ts";
import type { FieldValue, RecordBatch, Source } from "../connectors/types.ts";
import { clearBatch, reclaimBatchRun, recordBatch } from "../store/event-batches-sql.ts";
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

/** The subscriber lease was lost while a batch was being started: nothing was created. */
export class SubscriptionLost extends Error {}

/**
 * Starts a new batch: its run is created (claimed by this node) and recorded as the flow's batch in
 * one transaction, fenced on the subscriber lease, before anything is delivered.
 */
export async function deliverEventBatch(
  deps: EventBatchDeps,
  flow: FlowRow,
  events: SourceEvent[],
): Promise<RunsTable | undefined> {
  const { store, owner } = deps;
  const id = randomUUID();
  const now = deps.now();
  const first = events[0]?.replayId;
  const last = events.at(-1)?.replayId;
  if (first === undefined || last === undefined) return undefined;
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
    if (!(await recordBatch(trx, flow.account_id, flow.flow_name, owner, id, { first, last })))
      throw new SubscriptionLost(`another node took the event flow ${flow.flow_name} over`);
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
  return executeBatch(deps, flow, run, events);
}

/**
 * Resumes the batch a lost node left unfinished: the same run (so the same execution id, start time
 * and object names) with the same events. `ended`: that run ended meanwhile (cancelled, or reaped
 * because the flow was stopped), so the events go as a new batch; `held`: its lease hasn't expired.
 */
export async function resumeEventBatch(
  deps: EventBatchDeps,
  flow: FlowRow,
  executionId: string,
  events: SourceEvent[],
): Promise<{ run: RunsTable | undefined } | { state: "ended" | "held" }> {
  const { store, owner } = deps;
  const r = await reclaimBatchRun(store.db, store.caps, executionId, owner, deps.now(), deps.leaseMs);
  if ("state" in r) {
    if (r.state === "ended") await clearBatch(store.db, flow.account_id, flow.flow_name, executionId);
    return r;
  }
  deps.log.info({ executionId, events: events.length }, "resuming the event batch a lost node left");
  return { run: await executeBatch(deps, flow, r.run, events, true) };
}

async function executeBatch(
  deps: EventBatchDeps,
  flow: FlowRow,
  run: RunsTable,
  events: SourceEvent[],
  resumed = false,
): Promise<RunsTable | undefined> {
  const { store, owner } = deps;
  const id = run.execution_id;
  const handle = new RunHandle(id, deps.cancelGraceMs, deps.cancelGraceMs, () => {});
  let counts: RunCounts | undefined;
  const touch = async () => {
    const status = await touchRun(store.db, store.caps, id, owner, deps.now(), deps.leaseMs, counts);
    if (!status) handle.stop("lease-lost", deps.now());
    else if (status === "CancelStarted") handle.stop("cancel", deps.now());
  };
  const beat = setInterval(() => void touch().catch(() => {}), deps.heartbeatMs);
  try {
    const lookup = (t: string): ConnectorDefinition | undefined => {
      const def = getConnector(t);
      if (!def) return def;
      const source =
        t === flow.source_type && def.source
          ? { ...def.source, create: () => eventsSource(events) }
          : def.source;
      const dst = def.destination;
      const destination =
        resumed && t === flow.destination_type && dst ? { ...dst, create: rewriting(dst) } : dst;
      return { ...def, source, destination };
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
      await clearBatch(trx, flow.account_id, flow.flow_name, id);
    });
  } finally {
    clearInterval(beat);
    handle.dispose();
  }
}

/** A resumed run's destination: the lost attempt's output is removed before the rewrite starts. */
function rewriting(dst: DestinationDefinition): DestinationDefinition["create"] {
  return (cfg, ctx) => {
    const d = dst.create(cfg, ctx);
    return {
      async open() {
        await d.discardEarlierAttempt?.(ctx.hardSignal);
        return d.open();
      },
    };
  };
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

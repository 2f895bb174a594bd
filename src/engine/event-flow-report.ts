/**
 * The "AppFlow Event Flow Report" AppFlow publishes every five minutes for an event-triggered flow:
 * the flow event detail fields (flow-name, flow-arn, created-by, source, source-object, destination,
 * destination-object, trigger-type) and `status-report`, the count of events received over the
 * interval with the interval's times. AWS documents what status-report holds, not its member names;
 * Sluice's are below. Windows are aligned to the epoch (every `intervalMs`); the node holding the
 * flow's subscriber closes each one once (event-report-sql.ts) and the report goes out through the
 * outbox with the run reports.
 */
import { randomUUID } from "node:crypto";
import { parseFlowArn } from "../domain/arn.ts";
import type { DestinationFlowConfig, SourceFlowConfig } from "../domain/flow.ts";
import { closeReportWindow, type WindowTotals } from "../store/event-report-sql.ts";
import type { FlowRow } from "../store/flows-sql.ts";
import type { Store } from "../store/open-store.ts";
import { insertOutboxEvent } from "../store/runs/outbox-insert.ts";

export const EVENT_FLOW_REPORT = "AppFlow Event Flow Report";

/** Emits the report of the last window that ended by `now`, if no node has yet. True when it did. */
export async function emitEventFlowReport(
  store: Store,
  flow: FlowRow,
  now: number,
  intervalMs: number,
): Promise<boolean> {
  const until = Math.floor(now / intervalMs) * intervalMs;
  return store.db.transaction().execute(async (trx) => {
    const closed = await closeReportWindow(trx, store.caps, flow.account_id, flow.flow_name, until);
    if (!closed) return false;
    const event = buildEventFlowReport(flow, closed.from, until, closed.totals, now);
    // A flow's report, of no one run.
    await insertOutboxEvent(trx, "", flow.account_id, EVENT_FLOW_REPORT, event, now);
    return true;
  });
}

export function buildEventFlowReport(
  flow: FlowRow,
  from: number,
  until: number,
  t: WindowTotals,
  now: number,
) {
  const def = JSON.parse(flow.definition) as {
    sourceFlowConfig: SourceFlowConfig;
    destinationFlowConfigList: DestinationFlowConfig[];
  };
  const src = def.sourceFlowConfig;
  const dst = def.destinationFlowConfigList[0];
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": EVENT_FLOW_REPORT,
    source: "aws.appflow",
    account: flow.account_id,
    time: new Date(now).toISOString(),
    region: parseFlowArn(flow.flow_arn).region,
    resources: [flow.flow_arn],
    detail: {
      "flow-name": flow.flow_name,
      "flow-arn": flow.flow_arn,
      "created-by": flow.created_by,
      source: src.connectorType,
      "source-object": objectOf(src.sourceConnectorProperties[src.connectorType]),
      destination: dst?.connectorType ?? "",
      "destination-object": dst ? objectOf(dst.destinationConnectorProperties[dst.connectorType]) : "",
      "trigger-type": "EVENT",
      "status-report": {
        "num-of-events": String(t.recordsProcessed),
        "num-of-records-written": String(t.recordsWritten),
        "num-of-runs": String(t.runs),
        "num-of-successful-runs": String(t.successfulRuns),
        "start-time": new Date(from).toISOString(),
        "end-time": new Date(until).toISOString(),
      },
    },
  };
}

/** The connector's object (Salesforce, Redshift) or bucket[/prefix] (S3). */
function objectOf(props: unknown): string {
  const p = (props ?? {}) as { object?: string; bucketName?: string; bucketPrefix?: string };
  if (p.object) return p.object;
  return [p.bucketName, p.bucketPrefix].filter(Boolean).join("/");
}

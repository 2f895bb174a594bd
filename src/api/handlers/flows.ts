/** CreateFlow, DescribeFlow, ListFlows, UpdateFlow, DeleteFlow: thin, over the store modules. */

import type { App, Caller } from "../../app.ts";
import { flowArn } from "../../domain/arn.ts";
import { ConflictError, ValidationError } from "../../domain/errors.ts";
import { firstFire } from "../../scheduler/next-fire.ts";
import { subscriptionError } from "../../store/event-subscriptions-sql.ts";
import { flowSummariesPage } from "../../store/flows-page.ts";
import { getFlow, insertFlowWithTags, updateFlowRow } from "../../store/flows-sql.ts";
import { withToken } from "../../store/idempotency-sql.ts";
import { latestRun } from "../../store/runs/list-runs.ts";
import { getTags } from "../../store/tags-sql.ts";
import { WireJson } from "../protocol/serialize.ts";
import { checkFlow, type FlowParts } from "./flow-checks.ts";
import { definitionOf, flowDescription, type StoredDefinition } from "./flow-view.ts";
import { casFlow, mustGetFlow } from "./flow-writes.ts";
import { idempotent } from "./idempotency.ts";
import { decodeToken, encodeToken } from "./pagination.ts";
import { deleteFlowWhenIdle } from "./run-control.ts";

export interface CreateFlowInput extends FlowParts {
  flowName: string;
  description?: string;
  kmsArn?: string;
  tags?: Record<string, string>;
  metadataCatalogConfig?: unknown;
  clientToken?: string;
}

export async function createFlow(app: App, caller: Caller, input: CreateFlowInput) {
  return idempotent(app, caller, "CreateFlow", input, async (guard) => {
    if (await getFlow(app.store.db, caller.accountId, input.flowName)) {
      throw new ConflictError(`Flow ${input.flowName} already exists`);
    }
    await checkFlow(app, caller, input);
    const now = app.now();
    const arn = flowArn(caller.region, caller.accountId, input.flowName);
    const status = input.triggerConfig.triggerType === "OnDemand" ? "Active" : "Draft";
    const response = { flowArn: arn, flowStatus: status };
    await insertFlowWithTags(
      app.store.db,
      app.store.caps,
      {
        account_id: caller.accountId,
        flow_name: input.flowName,
        flow_arn: arn,
        flow_status: status,
        trigger_type: input.triggerConfig.triggerType,
        source_type: input.sourceFlowConfig.connectorType,
        destination_type: input.destinationFlowConfigList[0]?.connectorType ?? "",
        definition: JSON.stringify(storedDefinition(input)),
        schema_version: 1,
        created_at: now,
        updated_at: now,
        created_by: caller.principalArn,
        last_updated_by: caller.principalArn,
        row_version: 1,
        description: input.description ?? null,
        next_fire_at: null,
        last_fired_at: null,
      },
      input.tags ?? {},
      app.config.limits.maxFlowsPerAccount,
      guard(response),
    );
    return response;
  });
}

function storedDefinition(i: CreateFlowInput | UpdateFlowInput, prior?: StoredDefinition): StoredDefinition {
  return {
    description: i.description ?? prior?.description,
    kmsArn: "kmsArn" in i ? i.kmsArn : prior?.kmsArn,
    triggerConfig: i.triggerConfig,
    sourceFlowConfig: i.sourceFlowConfig,
    destinationFlowConfigList: i.destinationFlowConfigList,
    tasks: i.tasks,
    metadataCatalogConfig: i.metadataCatalogConfig ?? prior?.metadataCatalogConfig,
  };
}

export async function describeFlow(app: App, caller: Caller, input: { flowName: string }) {
  const row = await mustGetFlow(app, caller, input.flowName);
  const [tags, run] = await Promise.all([
    getTags(app.store.db, caller.accountId, row.flow_arn),
    latestRun(app.store.db, caller.accountId, row.flow_name),
  ]);
  // An Errored event flow says why (its subscription's error: an expired replay id, refused credentials).
  const message =
    row.flow_status === "Errored"
      ? await subscriptionError(app.store.db, caller.accountId, row.flow_name)
      : undefined;
  return { ...flowDescription(row, tags, run), flowStatusMessage: message };
}

export async function listFlowsHandler(
  app: App,
  caller: Caller,
  input: { maxResults?: number; nextToken?: string },
) {
  const after = decodeToken<{ n: string }>(input.nextToken, { n: "string" });
  const { items, next } = await flowSummariesPage(
    app.store.db,
    app.store.caps.dialect,
    caller.accountId,
    input.maxResults ?? 20,
    after?.n,
  );
  const token = next === undefined ? "" : `,"nextToken":${JSON.stringify(encodeToken({ n: next }))}`;
  return new WireJson(`{"flows":[${items}]${token}}`);
}

export interface UpdateFlowInput extends FlowParts {
  flowName: string;
  description?: string;
  metadataCatalogConfig?: unknown;
  clientToken?: string;
}

export async function updateFlow(app: App, caller: Caller, input: UpdateFlowInput) {
  return idempotent(app, caller, "UpdateFlow", input, async (guard) => {
    const row = await mustGetFlow(app, caller, input.flowName);
    if (input.sourceFlowConfig.connectorType !== row.source_type) {
      throw new ValidationError(
        `sourceFlowConfig.connectorType: the source connector type of a flow can't change (it is ${row.source_type})`,
      );
    }
    if (input.destinationFlowConfigList[0]?.connectorType !== row.destination_type) {
      throw new ValidationError(
        `destinationFlowConfigList[0].connectorType: the destination connector type of a flow can't change (it is ${row.destination_type})`,
      );
    }
    await checkFlow(app, caller, input);
    // Decided on the row as it is at the write: a StopFlow or tick in between is re-read, not undone.
    return casFlow(app, caller, input.flowName, async (cur) => {
      const prior = definitionOf(cur);
      const next = storedDefinition(input, prior);
      // A new schema version when what the records look like changes: the mappings (tasks).
      const schemaChanged = JSON.stringify(prior.tasks) !== JSON.stringify(next.tasks);
      const status = input.triggerConfig.triggerType === "OnDemand" ? "Active" : cur.flow_status;
      // An active schedule follows its new expression from now on.
      const nextFire =
        status === "Active" && input.triggerConfig.triggerType === "Scheduled"
          ? (firstFire(input.triggerConfig, app.now()) ?? null)
          : null;
      const response = { flowStatus: status };
      const ok = await withToken(app.store.db, guard(response), (db) =>
        updateFlowRow(db, caller.accountId, input.flowName, cur.row_version, {
          definition: JSON.stringify(next),
          trigger_type: input.triggerConfig.triggerType,
          flow_status: status,
          schema_version: cur.schema_version + (schemaChanged ? 1 : 0),
          description: next.description ?? null,
          next_fire_at: nextFire,
          updated_at: app.now(),
          last_updated_by: caller.principalArn,
        }),
      );
      return ok ? response : undefined;
    });
  });
}

export async function deleteFlow(
  app: App,
  caller: Caller,
  input: { flowName: string; forceDelete?: boolean },
) {
  const row = await mustGetFlow(app, caller, input.flowName);
  await deleteFlowWhenIdle(app, caller, row, input.forceDelete === true);
  return {};
}

/**
 * What CreateFlow/UpdateFlow check beyond the request shape: that the connectors, their profiles,
 * the trigger and every task operator are ones this server really implements.
 */
import type { App, Caller } from "../../app.ts";
import { getConnector } from "../../connectors/registry.ts";
import type { ConnectorDescriptor, ResolvedProfile } from "../../connectors/types.ts";
import { ResourceNotFoundError, ValidationError } from "../../domain/errors.ts";
import type { DestinationFlowConfig, SourceFlowConfig, Task, TriggerConfig } from "../../domain/flow.ts";
import { checkSchedule } from "../../scheduler/next-fire.ts";
import { getProfile } from "../../store/profiles-sql.ts";
import { compileTasks } from "../../tasks/index.ts";

export interface FlowParts {
  triggerConfig: TriggerConfig;
  sourceFlowConfig: SourceFlowConfig;
  destinationFlowConfigList: DestinationFlowConfig[];
  tasks: Task[];
}

export async function checkFlow(app: App, caller: Caller, f: FlowParts): Promise<void> {
  const src = getConnector(f.sourceFlowConfig.connectorType);
  if (!src?.canSource) {
    throw new ValidationError(
      `sourceFlowConfig.connectorType: ${f.sourceFlowConfig.connectorType} can't be used as a source by this server`,
    );
  }
  if (f.destinationFlowConfigList.length !== 1) {
    throw new ValidationError(
      "destinationFlowConfigList: this server supports exactly one destination per flow",
    );
  }
  const dstCfg = f.destinationFlowConfigList[0]!;
  const dst = getConnector(dstCfg.connectorType);
  if (!dst?.canDestination) {
    throw new ValidationError(
      `destinationFlowConfigList[0].connectorType: ${dstCfg.connectorType} can't be used as a destination by this server`,
    );
  }
  if (!src.supportedTriggerTypes.includes(f.triggerConfig.triggerType)) {
    throw new ValidationError(
      `triggerConfig.triggerType: ${f.triggerConfig.triggerType} flows are not supported by this server yet; supported: ${src.supportedTriggerTypes.join(", ")}`,
    );
  }
  checkSchedule(f.triggerConfig);
  await profileFor(app, caller, src, f.sourceFlowConfig.connectorProfileName, "sourceFlowConfig");
  const dstProfile = await profileFor(
    app,
    caller,
    dst,
    dstCfg.connectorProfileName,
    "destinationFlowConfigList[0]",
  );
  f.tasks.forEach((t, i) => {
    const entries = Object.entries(t.connectorOperator ?? {});
    for (const [type, op] of entries) {
      if (type !== f.sourceFlowConfig.connectorType) {
        throw new ValidationError(
          `tasks[${i}].connectorOperator: the operator must be given for the source connector ${f.sourceFlowConfig.connectorType}, not ${type}`,
        );
      }
      if (!src.supportedOperators.includes(op)) {
        throw new ValidationError(
          `tasks[${i}].connectorOperator.${type}: ${op} is not supported by the ${type} connector; supported: ${src.supportedOperators.join(", ")}`,
        );
      }
    }
  });
  compileTasks(f.tasks);
  if (dstProfile && dst.testProfile) await dst.testProfile(dstProfile, AbortSignal.timeout(15_000));
}

async function profileFor(
  app: App,
  caller: Caller,
  desc: ConnectorDescriptor,
  name: string | undefined,
  path: string,
): Promise<ResolvedProfile | undefined> {
  if (!name) {
    if (desc.requiresProfile) {
      throw new ValidationError(
        `${path}.connectorProfileName: the ${desc.connectorType} connector needs a connector profile`,
      );
    }
    return undefined;
  }
  return resolveProfile(app, caller.accountId, name, desc.connectorType);
}

export async function resolveProfile(
  app: App,
  accountId: string,
  name: string,
  expectedType?: string,
): Promise<ResolvedProfile> {
  const row = await getProfile(app.store.db, accountId, name);
  if (!row) throw new ResourceNotFoundError(`Connector profile ${name} does not exist`);
  if (expectedType && row.connector_type !== expectedType) {
    throw new ValidationError(
      `connector profile ${name} is a ${row.connector_type} profile, not ${expectedType}`,
    );
  }
  return {
    connectorProfileName: row.profile_name,
    connectorType: row.connector_type,
    properties: JSON.parse(row.properties) as Record<string, unknown>,
    credentials: app.secrets.open<Record<string, unknown>>(row.credentials_enc),
  };
}

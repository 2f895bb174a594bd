/**
 * What CreateFlow/UpdateFlow check beyond the request shape: that the connectors, their profiles,
 * the trigger and every task operator are ones this server really implements.
 */
import type { App, Caller } from "../../app.ts";
import { getConnector } from "../../connectors/registry.ts";
import type { ConnectorDefinition } from "../../connectors/sdk/definition.ts";
import { ValidationError } from "../../domain/errors.ts";
import type { DestinationFlowConfig, SourceFlowConfig, Task, TriggerConfig } from "../../domain/flow.ts";
import { type OpenedProfile, openProfile } from "../../engine/profile-access.ts";
import { checkSchedule } from "../../scheduler/next-fire.ts";
import { compileTasks } from "../../tasks/index.ts";
import { connectorEnv } from "./connector-env.ts";

export interface FlowParts {
  triggerConfig: TriggerConfig;
  sourceFlowConfig: SourceFlowConfig;
  destinationFlowConfigList: DestinationFlowConfig[];
  tasks: Task[];
}

export async function checkFlow(app: App, caller: Caller, f: FlowParts): Promise<void> {
  const src = getConnector(f.sourceFlowConfig.connectorType);
  if (!src?.source) {
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
  if (!dst?.destination) {
    throw new ValidationError(
      `destinationFlowConfigList[0].connectorType: ${dstCfg.connectorType} can't be used as a destination by this server`,
    );
  }
  const triggers = src.source.triggerTypes;
  const operators: readonly string[] = src.source.operators;
  if (!triggers.includes(f.triggerConfig.triggerType)) {
    throw new ValidationError(
      `triggerConfig.triggerType: ${f.triggerConfig.triggerType} flows are not supported by this server yet; supported: ${triggers.join(", ")}`,
    );
  }
  if (f.triggerConfig.triggerType === "Event") {
    if (!src.source.events)
      throw new ValidationError(
        `triggerConfig.triggerType: ${f.sourceFlowConfig.connectorType} has no event source`,
      );
    src.source.events.check(f.sourceFlowConfig);
    if (!dst.destination.rewriteReplaces)
      throw new ValidationError(
        `destinationFlowConfigList[0].connectorType: an Event flow can't deliver to ${dstCfg.connectorType} on this server: a batch interrupted by a crash is written again, and only destinations where that replaces the first write (S3) keep each event exactly once`,
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
      if (!operators.includes(op)) {
        throw new ValidationError(
          `tasks[${i}].connectorOperator.${type}: ${op} is not supported by the ${type} connector; supported: ${operators.join(", ")}`,
        );
      }
    }
  });
  compileTasks(f.tasks);
  if (dstProfile && dst.profile) {
    await dst.profile.test({
      profile: dstProfile.profile,
      env: connectorEnv(app),
      signal: AbortSignal.timeout(15_000),
      saveCredentials: dstProfile.saveCredentials,
    });
  }
}

async function profileFor(
  app: App,
  caller: Caller,
  desc: ConnectorDefinition,
  name: string | undefined,
  path: string,
): Promise<OpenedProfile | undefined> {
  if (!name) {
    if (desc.profile) {
      throw new ValidationError(
        `${path}.connectorProfileName: the ${desc.connectorType} connector needs a connector profile`,
      );
    }
    return undefined;
  }
  return resolveProfile(app, caller.accountId, name, desc.connectorType);
}

export function resolveProfile(
  app: App,
  accountId: string,
  name: string,
  expectedType?: string,
): Promise<OpenedProfile> {
  return openProfile({ db: app.store.db, secrets: app.secrets, now: app.now }, accountId, name, expectedType);
}

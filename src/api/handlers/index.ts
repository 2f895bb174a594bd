/** Operation → handler. Each handler is `(app, caller, validatedInput) => output`. */
import type { App, Caller } from "../../app.ts";
import type { OperationName } from "../protocol/operations.ts";
import {
  createConnectorProfile,
  deleteConnectorProfile,
  describeConnectorProfiles,
  updateConnectorProfile,
} from "./connector-profiles.ts";
import {
  customConnectorsUnsupported,
  describeConnector,
  describeConnectorEntity,
  describeConnectors,
  listConnectorEntities,
  listConnectors,
} from "./connectors.ts";
import { cancelFlowExecutions, describeFlowExecutionRecords, startFlow, stopFlow } from "./flow-runs.ts";
import { createFlow, deleteFlow, describeFlow, listFlowsHandler, updateFlow } from "./flows.ts";
import { listTagsForResource, tagResource, untagResource } from "./tags.ts";

// biome-ignore lint/suspicious/noExplicitAny: inputs are typed per handler; parseInput validated them.
type Handler = (app: App, caller: Caller, input: any) => Promise<unknown>;

export const handlers: Record<OperationName, Handler> = {
  CancelFlowExecutions: cancelFlowExecutions,
  CreateConnectorProfile: createConnectorProfile,
  CreateFlow: createFlow,
  DeleteConnectorProfile: deleteConnectorProfile,
  DeleteFlow: deleteFlow,
  DescribeConnector: describeConnector,
  DescribeConnectorEntity: describeConnectorEntity,
  DescribeConnectorProfiles: describeConnectorProfiles,
  DescribeConnectors: describeConnectors,
  DescribeFlow: describeFlow,
  DescribeFlowExecutionRecords: describeFlowExecutionRecords,
  ListConnectorEntities: listConnectorEntities,
  ListConnectors: listConnectors,
  ListFlows: listFlowsHandler,
  ListTagsForResource: listTagsForResource,
  RegisterConnector: customConnectorsUnsupported,
  ResetConnectorMetadataCache: customConnectorsUnsupported,
  StartFlow: startFlow,
  StopFlow: stopFlow,
  TagResource: tagResource,
  UnregisterConnector: customConnectorsUnsupported,
  UntagResource: untagResource,
  UpdateConnectorProfile: updateConnectorProfile,
  UpdateConnectorRegistration: customConnectorsUnsupported,
  UpdateFlow: updateFlow,
};

/**
 * The AppFlow inputs this server accepts, one hand-written schema per operation, and `parseInput`,
 * which the HTTP pipeline calls with the body merged with path and query members. Every failure is a
 * ValidationError naming the member path and the rule; unknown members are dropped, as AWS ignores them.
 */
import type { z } from "zod";
import { ValidationError } from "../../domain/errors.ts";
import type { OperationName } from "../protocol/operations.ts";
import { dropNullMembers } from "./common.ts";
import {
  createConnectorProfileInput,
  deleteConnectorProfileInput,
  describeConnectorProfilesInput,
  updateConnectorProfileInput,
} from "./connector-profiles.ts";
import {
  describeConnectorEntityInput,
  describeConnectorInput,
  describeConnectorsInput,
  listConnectorEntitiesInput,
  listConnectorsInput,
  registerConnectorInput,
  resetConnectorMetadataCacheInput,
  unregisterConnectorInput,
  updateConnectorRegistrationInput,
} from "./connectors.ts";
import { cancelFlowExecutionsInput, describeFlowExecutionRecordsInput } from "./executions.ts";
import {
  createFlowInput,
  deleteFlowInput,
  describeFlowInput,
  listFlowsInput,
  startFlowInput,
  stopFlowInput,
  updateFlowInput,
} from "./flows.ts";
import { formatIssues } from "./issues.ts";
import { listTagsForResourceInput, tagResourceInput, untagResourceInput } from "./tags.ts";

export const inputSchemas = {
  CancelFlowExecutions: cancelFlowExecutionsInput(),
  CreateConnectorProfile: createConnectorProfileInput(),
  CreateFlow: createFlowInput(),
  DeleteConnectorProfile: deleteConnectorProfileInput(),
  DeleteFlow: deleteFlowInput(),
  DescribeConnector: describeConnectorInput(),
  DescribeConnectorEntity: describeConnectorEntityInput(),
  DescribeConnectorProfiles: describeConnectorProfilesInput(),
  DescribeConnectors: describeConnectorsInput(),
  DescribeFlow: describeFlowInput(),
  DescribeFlowExecutionRecords: describeFlowExecutionRecordsInput(),
  ListConnectorEntities: listConnectorEntitiesInput(),
  ListConnectors: listConnectorsInput(),
  ListFlows: listFlowsInput(),
  ListTagsForResource: listTagsForResourceInput(),
  RegisterConnector: registerConnectorInput(),
  ResetConnectorMetadataCache: resetConnectorMetadataCacheInput(),
  StartFlow: startFlowInput(),
  StopFlow: stopFlowInput(),
  TagResource: tagResourceInput(),
  UnregisterConnector: unregisterConnectorInput(),
  UntagResource: untagResourceInput(),
  UpdateConnectorProfile: updateConnectorProfileInput(),
  UpdateConnectorRegistration: updateConnectorRegistrationInput(),
  UpdateFlow: updateFlowInput(),
} satisfies Record<OperationName, z.ZodTypeAny>;

export type InputOf<Op extends OperationName> = z.output<(typeof inputSchemas)[Op]>;

/** Validates one operation's input (body members merged with path/query members); throws ValidationError. */
export function parseInput<Op extends OperationName>(op: Op, raw: unknown): InputOf<Op> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ValidationError("request body must be a JSON object");
  }
  const schema: z.ZodTypeAny = inputSchemas[op];
  const r = schema.safeParse(dropNullMembers(raw));
  if (!r.success) throw new ValidationError(formatIssues(r.error.issues));
  return r.data as InputOf<Op>;
}

export type * from "./connector-profiles.ts";
export type * from "./connectors.ts";
export type * from "./executions.ts";
export type * from "./flow-connectors.ts";
export type * from "./flows.ts";
export type * from "./tags.ts";
export type * from "./tasks.ts";

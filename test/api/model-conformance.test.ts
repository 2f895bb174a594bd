/**
 * Checks our hand-written operations table and input schemas against the official AppFlow model, when
 * the model is on this machine: every operation bound alike, and every constraint the model states on
 * the inputs we accept enforced by parseInput (and nothing the model allows refused, except connector
 * types this server doesn't implement, which must say "not supported").
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type OperationName, operations } from "../../src/api/protocol/operations.ts";
import { appflowModel } from "../helpers/aws-model.ts";
import { redshiftDestination, validInput } from "../unit/shapes-fixtures.ts";
import { type Model, walkOperation } from "./model-conformance-walk.ts";

const found = appflowModel();
const model = found.model as Model | undefined;
const why = "why" in found ? found.why : "";

test("every model operation is in operations.ts with the same method and URI, and vice versa", (t) => {
  if (!model) return t.skip(why);
  const fromModel = Object.fromEntries(
    Object.entries(model.operations).map(([name, o]) => [
      name,
      { method: o.http.method, path: o.http.requestUri },
    ]),
  );
  const ours = Object.fromEntries(
    Object.entries(operations).map(([n, b]) => [n, { method: b.method, path: b.path }]),
  );
  assert.deepEqual(ours, fromModel);
});

/** The base request a walk starts from: the fixture, with both our destinations for flows. */
function baseFor(op: OperationName): Record<string, unknown> {
  const b = validInput(op);
  if (op === "CreateFlow" || op === "UpdateFlow") {
    // Members the fixture leaves out because a real S3 flow wouldn't set them; the model allows them.
    const dst = { ...redshiftDestination(), apiVersion: "v1" };
    b.destinationFlowConfigList = [...(b.destinationFlowConfigList as unknown[]), dst];
    (b.sourceFlowConfig as Record<string, unknown>).connectorProfileName = "source-profile";
  }
  return b;
}

/** Salesforce's members, all filled in: a profile configuration, and a Salesforce → Salesforce flow. */
function salesforceProfileConfig(): Record<string, unknown> {
  return {
    connectorProfileProperties: {
      Salesforce: {
        instanceUrl: "https://example.my.salesforce.com",
        isSandboxEnvironment: false,
        usePrivateLinkForMetadataAndAuthorization: false,
      },
    },
    connectorProfileCredentials: {
      Salesforce: {
        accessToken: "00Dx!token",
        refreshToken: "5Aep-refresh",
        oAuthRequest: { authCode: "code", redirectUri: "https://example.com/cb" },
        clientCredentialsArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf",
        oAuth2GrantType: "JWT_BEARER",
        jwtToken: "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln",
      },
    },
  };
}

function salesforceBase(op: OperationName): Record<string, unknown> | undefined {
  const b = validInput(op);
  if (op === "CreateConnectorProfile" || op === "UpdateConnectorProfile") {
    if (op === "CreateConnectorProfile") b.connectorType = "Salesforce";
    b.connectorProfileConfig = salesforceProfileConfig();
    return b;
  }
  if (op !== "CreateFlow" && op !== "UpdateFlow") return undefined;
  b.sourceFlowConfig = {
    connectorType: "Salesforce",
    connectorProfileName: "sf",
    sourceConnectorProperties: {
      Salesforce: {
        object: "Account",
        enableDynamicFieldUpdate: true,
        includeDeletedRecords: true,
        dataTransferApi: "BULKV2",
      },
    },
  };
  b.destinationFlowConfigList = [
    {
      connectorType: "Salesforce",
      connectorProfileName: "sf",
      destinationConnectorProperties: {
        Salesforce: {
          object: "Contact",
          idFieldNames: ["External_Id__c"],
          errorHandlingConfig: {
            failOnFirstDestinationError: true,
            bucketName: "errors",
            bucketPrefix: "sf",
          },
          writeOperationType: "UPSERT",
          dataTransferApi: "REST_SYNC",
        },
      },
    },
  ];
  b.tasks = [{ sourceFields: ["Id"], connectorOperator: { Salesforce: "PROJECTION" }, taskType: "Filter" }];
  return b;
}

for (const op of Object.keys(operations) as OperationName[]) {
  test(`${op}: parseInput enforces the model's input constraints`, (t) => {
    if (!model) return t.skip(why);
    const shapeName = model.operations[op]?.input?.shape;
    assert.ok(shapeName, `${op} has no input shape in the model`);
    const sf = salesforceBase(op);
    const reports = [baseFor(op), ...(sf ? [sf] : [])].map((b) => walkOperation(model, op, shapeName, b));
    const failures = reports.flatMap((r) => r.failures);
    assert.deepEqual(failures, [], failures.join("\n"));
    // A member counts as covered when any base request holds it (each holds one connector's members).
    const covered = new Set(reports.flatMap((r) => [...r.covered]));
    const uncovered = [...new Set(reports.flatMap((r) => [...r.seen]))].filter((m) => !covered.has(m)).sort();
    assert.deepEqual(uncovered, [], `members the base requests leave out: ${uncovered.join(", ")}`);
    assert.ok(
      reports.every((r) => r.checks > 0),
      "no constraint was checked",
    );
  });
}

/** Shared by the event flow tests: a Salesforce profile and an AccountChangeEvent → S3 flow, and changes made in the fake. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AppflowClient,
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  type ExecutionRecord,
  type Task,
} from "@aws-sdk/client-appflow";
import type { FakeSalesforce } from "../fakes/salesforce/server.ts";

const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-app";
export const EVENT_FIELDS = ["Id", "Name", "ChangeType", "ReplayId"];

const tasks: Task[] = [
  { sourceFields: EVENT_FIELDS, connectorOperator: { Salesforce: "PROJECTION" }, taskType: "Filter" },
  ...EVENT_FIELDS.map(
    (f): Task => ({
      sourceFields: [f],
      connectorOperator: { Salesforce: "NO_OP" },
      destinationField: f,
      taskType: "Map",
    }),
  ),
];

/** The profile (its client secret in the data dir's secrets file) and the flow `flowName` into s3://out/events/. */
export async function createEventFlow(
  client: AppflowClient,
  fake: FakeSalesforce,
  dataDir: string,
  flowName: string,
): Promise<void> {
  writeFileSync(
    join(dataDir, "secrets.json"),
    JSON.stringify({ [ARN]: { clientId: fake.clientId, clientSecret: fake.clientSecret } }),
    { mode: 0o600 },
  );
  await client.send(
    new CreateConnectorProfileCommand({
      connectorProfileName: "sf",
      connectorType: "Salesforce",
      connectionMode: "Public",
      connectorProfileConfig: {
        connectorProfileProperties: { Salesforce: { instanceUrl: fake.instanceUrl } },
        connectorProfileCredentials: {
          Salesforce: {
            accessToken: fake.issueAccessToken(),
            refreshToken: fake.refreshToken,
            clientCredentialsArn: ARN,
          },
        },
      },
    }),
  );
  await client.send(
    new CreateFlowCommand({
      flowName,
      triggerConfig: { triggerType: "Event" },
      sourceFlowConfig: {
        connectorType: "Salesforce",
        connectorProfileName: "sf",
        sourceConnectorProperties: { Salesforce: { object: "AccountChangeEvent" } },
      },
      destinationFlowConfigList: [
        {
          connectorType: "S3",
          destinationConnectorProperties: {
            S3: { bucketName: "out", bucketPrefix: "events", s3OutputFormatConfig: { fileType: "JSON" } },
          },
        },
      ],
      tasks,
    }),
  );
}

/** Makes `n` Account inserts (every third record is updated too); returns the replay ids and names. */
export function makeChanges(
  fake: FakeSalesforce,
  n: number,
  tag: string,
): { replayId: number; name: string }[] {
  const out: { replayId: number; name: string }[] = [];
  for (let i = 0; i < n; i++) {
    const id = fake.insert("Account", { Name: `${tag}-${i}` });
    out.push({ replayId: fake.latestReplayId(), name: `${tag}-${i}` });
    if (i % 3 === 2) {
      fake.update("Account", id, { Name: `${tag}-${i}b` });
      out.push({ replayId: fake.latestReplayId(), name: `${tag}-${i}b` });
    }
  }
  return out;
}

export async function eventRuns(client: AppflowClient, flowName: string): Promise<ExecutionRecord[]> {
  return (
    (await client.send(new DescribeFlowExecutionRecordsCommand({ flowName, maxResults: 100 })))
      .flowExecutions ?? []
  );
}

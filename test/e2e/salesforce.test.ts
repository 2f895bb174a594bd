/**
 * Salesforce end to end on both backends: a real Sluice server, the real AppFlow JS SDK, and the fake Salesforce.
 * Profiles are checked against the instance; entities come from describe; Salesforce → S3 runs over
 * REST and Bulk API 2.0 and delivers every record once; a cancel during a Bulk results chunk writes
 * that chunk whole and nothing after it; S3 → Salesforce over Bulk ingest, cancelled after the upload,
 * ends Canceled only after the job completed, with its records counted (and before the upload: the job
 * is aborted); an expired token is refreshed once and stored.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  type AppflowClient,
  CancelFlowExecutionsCommand,
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  DescribeConnectorEntityCommand,
  DescribeConnectorsCommand,
  ListConnectorEntitiesCommand,
  StartFlowCommand,
  type Task,
} from "@aws-sdk/client-appflow";
import { type FakeSalesforce, startFakeSalesforce } from "../fakes/salesforce/server.ts";
import { isTerminal, listLocalObjects, makeBucket, waitForRun } from "../helpers/flows.ts";
import { backends, startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-app";
const ACCOUNTS = 450;

async function createProfile(
  s: TestServer,
  fake: FakeSalesforce,
  name: string,
  accessToken = fake.issueAccessToken(),
) {
  return s.client.send(
    new CreateConnectorProfileCommand({
      connectorProfileName: name,
      connectorType: "Salesforce",
      connectionMode: "Public",
      connectorProfileConfig: {
        connectorProfileProperties: {
          Salesforce: { instanceUrl: fake.instanceUrl, isSandboxEnvironment: false },
        },
        connectorProfileCredentials: {
          Salesforce: { accessToken, refreshToken: fake.refreshToken, clientCredentialsArn: ARN },
        },
      },
    }),
  );
}

const projection = (fields: string[]): Task[] => [
  { sourceFields: fields, connectorOperator: { Salesforce: "PROJECTION" }, taskType: "Filter" },
  ...fields.map(
    (f): Task => ({
      sourceFields: [f],
      connectorOperator: { Salesforce: "NO_OP" },
      destinationField: f,
      taskType: "Map",
    }),
  ),
];

async function sfToS3(
  client: AppflowClient,
  flowName: string,
  api: "REST_SYNC" | "BULKV2" | "AUTOMATIC",
  tasks?: Task[],
) {
  await client.send(
    new CreateFlowCommand({
      flowName,
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: {
        connectorType: "Salesforce",
        connectorProfileName: "sf",
        sourceConnectorProperties: { Salesforce: { object: "Account", dataTransferApi: api } },
      },
      destinationFlowConfigList: [
        {
          connectorType: "S3",
          destinationConnectorProperties: {
            S3: { bucketName: "out", bucketPrefix: flowName, s3OutputFormatConfig: { fileType: "JSON" } },
          },
        },
      ],
      tasks: tasks ?? projection(["Id", "Name", "AnnualRevenue", "SystemModstamp"]),
    }),
  );
}

/** Every JSON Lines record the flow wrote to the local bucket. */
function written(s: TestServer, flowName: string): Record<string, unknown>[] {
  return listLocalObjects(s.dataDir, "out")
    .filter((k) => k.startsWith(`${flowName}/`))
    .flatMap((k) =>
      readFileSync(join(s.dataDir, "s3", "out", k), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

async function run(s: TestServer, flowName: string) {
  const id = (await s.client.send(new StartFlowCommand({ flowName }))).executionId!;
  return waitForRun(s.client, flowName, id, isTerminal, "run ends");
}

for (const backend of backends) {
  const skip = await pgSkipReason(backend);
  describe(`Salesforce connector end to end (${backend})`, { skip }, () => {
    let fake: FakeSalesforce;
    let s: TestServer;

    before(async () => {
      fake = await startFakeSalesforce({
        records: { Account: ACCOUNTS, Contact: 0, Opportunity: 0 },
        queryJobQueuedMs: 10,
        queryJobMs: 50,
        ingestJobQueuedMs: 10,
        ingestJobMs: 50,
      });
      s = await startTestServer(backend, { engine: { batchRows: 100 } });
      writeFileSync(
        join(s.dataDir, "secrets.json"),
        JSON.stringify({ [ARN]: { clientId: fake.clientId, clientSecret: fake.clientSecret } }),
        { mode: 0o600 },
      );
      makeBucket(s.dataDir, "out");
      await createProfile(s, fake, "sf");
    });
    after(async () => {
      await s?.close();
      await fake?.stop();
    });
    beforeEach(() => {
      fake.clearCalls();
      fake.clearFaults();
    });

    test("DescribeConnectors lists Salesforce as source and destination with its write operations", async () => {
      const out = await s.client.send(new DescribeConnectorsCommand({ connectorTypes: ["Salesforce"] }));
      const c = out.connectorConfigurations?.Salesforce;
      assert.ok(c);
      assert.equal(c.canUseAsSource, true);
      assert.equal(c.canUseAsDestination, true);
      assert.deepEqual(c.supportedWriteOperations, ["INSERT", "UPSERT", "UPDATE", "DELETE"]);
      assert.equal(c.authenticationConfig?.isOAuth2Supported, true);
    });

    test("an event-triggered Salesforce flow needs a Change Data Capture object (XChangeEvent)", async () => {
      await assert.rejects(
        s.client.send(
          new CreateFlowCommand({
            flowName: "sf-events",
            triggerConfig: { triggerType: "Event" },
            sourceFlowConfig: {
              connectorType: "Salesforce",
              connectorProfileName: "sf",
              sourceConnectorProperties: { Salesforce: { object: "Account" } },
            },
            destinationFlowConfigList: [
              { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "out" } } },
            ],
            tasks: projection(["Id"]),
          }),
        ),
        (e: Error) => {
          assert.equal(e.name, "ValidationException");
          assert.match(
            e.message,
            /an Event flow needs a Change Data Capture object such as AccountChangeEvent \(got 'Account'\)/,
          );
          return true;
        },
      );
    });

    test("a profile whose tokens are refused is a ConnectorAuthenticationException; entities come from describe", async () => {
      const bad = fake.issueAccessToken();
      fake.expireAccessTokens(bad);
      const refresh = fake.issueRefreshToken();
      fake.revokeRefreshToken(refresh);
      await assert.rejects(
        s.client.send(
          new CreateConnectorProfileCommand({
            connectorProfileName: "sf-bad",
            connectorType: "Salesforce",
            connectionMode: "Public",
            connectorProfileConfig: {
              connectorProfileProperties: { Salesforce: { instanceUrl: fake.instanceUrl } },
              connectorProfileCredentials: {
                Salesforce: { accessToken: bad, refreshToken: refresh, clientCredentialsArn: ARN },
              },
            },
          }),
        ),
        (e: Error) => {
          assert.equal(e.name, "ConnectorAuthenticationException");
          assert.ok(!e.message.includes(bad) && !e.message.includes(refresh));
          return true;
        },
      );
      const list = await s.client.send(
        new ListConnectorEntitiesCommand({ connectorType: "Salesforce", connectorProfileName: "sf" }),
      );
      const names = Object.values(list.connectorEntityMap ?? {})
        .flat()
        .map((e) => e.name);
      assert.ok(names.includes("Account") && names.includes("Contact"));
      const d = await s.client.send(
        new DescribeConnectorEntityCommand({
          connectorType: "Salesforce",
          connectorProfileName: "sf",
          connectorEntityName: "Account",
        }),
      );
      const id = d.connectorEntityFields?.find((f) => f.identifier === "Id");
      assert.equal(id?.isPrimaryKey, true);
      const revenue = d.connectorEntityFields?.find((f) => f.identifier === "AnnualRevenue");
      assert.equal(revenue?.supportedFieldTypeDetails?.v1?.fieldType, "currency");
      assert.ok(revenue?.supportedFieldTypeDetails?.v1?.filterOperators?.includes("GREATER_THAN"));
      assert.equal(revenue?.destinationProperties?.isCreatable, true);
    });

    for (const api of ["REST_SYNC", "BULKV2"] as const) {
      test(`Salesforce → S3 over ${api} delivers every record once`, async () => {
        await sfToS3(s.client, `sf-${api}`, api);
        const r = await run(s, `sf-${api}`);
        assert.equal(r.executionStatus, "Successful", String(r.executionResult?.errorInfo?.executionMessage));
        assert.equal(r.executionResult?.recordsProcessed, ACCOUNTS);
        const out = written(s, `sf-${api}`);
        assert.equal(out.length, ACCOUNTS);
        assert.equal(new Set(out.map((x) => x.Id)).size, ACCOUNTS);
        const usedBulk = fake.calls().some((c) => c.path.endsWith("/jobs/query"));
        assert.equal(usedBulk, api === "BULKV2");
      });
    }

    test("AUTOMATIC counts first: Bulk API 2.0 at 1,000,000 records or more, REST below", async () => {
      await sfToS3(s.client, "sf-auto", "AUTOMATIC");
      fake.configure({ countOffset: 1_000_000 - ACCOUNTS });
      try {
        const r = await run(s, "sf-auto");
        assert.equal(r.executionStatus, "Successful");
        assert.ok(fake.calls().some((c) => c.path.endsWith("/jobs/query")));
        fake.configure({ countOffset: 1_000_000 - ACCOUNTS - 1 });
        fake.clearCalls();
        const r2 = await run(s, "sf-auto");
        assert.equal(r2.executionStatus, "Successful");
        assert.ok(!fake.calls().some((c) => c.path.includes("/jobs/query")));
      } finally {
        fake.configure({ countOffset: 0 });
      }
    });

    test("a filter is pushed into the SOQL WHERE and still applied", async () => {
      const tasks: Task[] = [
        ...projection(["Id", "AnnualRevenue"]),
        {
          sourceFields: ["AnnualRevenue"],
          connectorOperator: { Salesforce: "GREATER_THAN" },
          taskType: "Filter",
          taskProperties: { DATA_TYPE: "currency", VALUE: "50000" },
        },
      ];
      await sfToS3(s.client, "sf-filter", "REST_SYNC", tasks);
      const r = await run(s, "sf-filter");
      assert.equal(r.executionStatus, "Successful");
      const expected = fake
        .records("Account")
        .filter((a) => typeof a.AnnualRevenue === "number" && a.AnnualRevenue > 50000);
      assert.ok(expected.length > 0 && expected.length < ACCOUNTS);
      assert.equal(written(s, "sf-filter").length, expected.length);
      // Pushed down: only the matching records were read.
      assert.equal(r.executionResult?.recordsProcessed, expected.length);
      const q = fake.calls().find((c) => c.path.endsWith("/query"));
      assert.match(decodeURIComponent(q?.query ?? ""), /WHERE AnnualRevenue > 50000/);
    });

    test("cancelled while a Bulk results chunk is read: Canceled with that chunk written whole, nothing after it", async () => {
      await sfToS3(s.client, "sf-cancel", "BULKV2");
      const gate = fake.hold("/results");
      const id = (await s.client.send(new StartFlowCommand({ flowName: "sf-cancel" }))).executionId!;
      await gate.arrived;
      await s.client.send(new CancelFlowExecutionsCommand({ flowName: "sf-cancel", executionIds: [id] }));
      gate.release();
      const r = await waitForRun(s.client, "sf-cancel", id, isTerminal, "cancelled run ends");
      assert.equal(r.executionStatus, "Canceled");
      assert.equal(r.executionResult?.recordsProcessed, 100);
      assert.equal(written(s, "sf-cancel").length, 100);
      assert.equal(fake.calls().filter((c) => c.path.endsWith("/results")).length, 1);
    });

    test("an expired access token is refreshed once during a run and stored for the next", async () => {
      await createProfile(s, fake, "sf-expiring");
      await s.client.send(
        new CreateFlowCommand({
          flowName: "sf-refresh",
          triggerConfig: { triggerType: "OnDemand" },
          sourceFlowConfig: {
            connectorType: "Salesforce",
            connectorProfileName: "sf-expiring",
            sourceConnectorProperties: { Salesforce: { object: "Account", dataTransferApi: "REST_SYNC" } },
          },
          destinationFlowConfigList: [
            {
              connectorType: "S3",
              destinationConnectorProperties: { S3: { bucketName: "out", bucketPrefix: "sf-refresh" } },
            },
          ],
          tasks: projection(["Id"]),
        }),
      );
      fake.expireAccessTokens();
      fake.clearCalls();
      const r = await run(s, "sf-refresh");
      assert.equal(r.executionStatus, "Successful", String(r.executionResult?.errorInfo?.executionMessage));
      const grants = () => fake.calls().filter((c) => c.path === "/services/oauth2/token");
      assert.equal(grants().length, 1);
      fake.clearCalls();
      const r2 = await run(s, "sf-refresh");
      assert.equal(r2.executionStatus, "Successful");
      assert.equal(grants().length, 0, "the refreshed token was stored and used by the next run");
    });

    test("Sforce-Limit-Info is a metric; REQUEST_LIMIT_EXCEEDED ends the run Error saying so; 503 is retried", async () => {
      fake.injectFault("SERVER_UNAVAILABLE", { path: "/query", times: 1 });
      const ok = await run(s, "sf-REST_SYNC");
      assert.equal(ok.executionStatus, "Successful", "a 503 is retried");
      const metrics = await (await fetch(`${s.sluice.url}/metrics`)).text();
      assert.match(metrics, /sluice_connector_salesforce_api_usage\{instance="127\.0\.0\.1:\d+"\} [1-9]\d*/);
      assert.match(metrics, /sluice_connector_salesforce_api_limit\{instance="127\.0\.0\.1:\d+"\} 100000/);
      fake.injectFault("REQUEST_LIMIT_EXCEEDED", { path: "/query", times: 10 });
      const r = await run(s, "sf-REST_SYNC");
      assert.equal(r.executionStatus, "Error");
      assert.match(
        String(r.executionResult?.errorInfo?.executionMessage),
        /REQUEST_LIMIT_EXCEEDED.*API request limit is used up/,
      );
    });

    describe("S3 → Salesforce", () => {
      const csv = (n: number, tag: string) =>
        `Name,Industry,AnnualRevenue\n${Array.from({ length: n }, (_, i) => `${tag} ${i},Energy,${i * 10}`).join("\n")}\n`;
      const s3ToSf = async (flowName: string, prefix: string, api: "BULKV2" | "AUTOMATIC") => {
        await s.client.send(
          new CreateFlowCommand({
            flowName,
            triggerConfig: { triggerType: "OnDemand" },
            sourceFlowConfig: {
              connectorType: "S3",
              sourceConnectorProperties: {
                S3: {
                  bucketName: "inbox",
                  bucketPrefix: prefix,
                  s3InputFormatConfig: { s3InputFileType: "CSV" },
                },
              },
            },
            destinationFlowConfigList: [
              {
                connectorType: "Salesforce",
                connectorProfileName: "sf",
                destinationConnectorProperties: {
                  Salesforce: { object: "Account", writeOperationType: "INSERT", dataTransferApi: api },
                },
              },
            ],
            tasks: [
              {
                sourceFields: ["Name", "Industry", "AnnualRevenue"],
                connectorOperator: { S3: "PROJECTION" },
                taskType: "Filter",
              },
              ...["Name", "Industry", "AnnualRevenue"].map(
                (f): Task => ({
                  sourceFields: [f],
                  connectorOperator: { S3: "NO_OP" },
                  destinationField: f,
                  taskType: "Map",
                }),
              ),
            ],
          }),
        );
      };
      const put = (prefix: string, body: string) => {
        mkdirSync(join(s.dataDir, "s3", "inbox", prefix), { recursive: true });
        writeFileSync(join(s.dataDir, "s3", "inbox", prefix, "rows.csv"), body);
      };
      const named = (tag: string) =>
        fake.records("Account").filter((a) => String(a.Name).startsWith(`${tag} `));

      test("a small set goes over sObject Collections, a failing record counts in putFailuresCount", async () => {
        put("small", `${csv(5, "Small")},Energy,1\n`); // the last row has no Name: REQUIRED_FIELD_MISSING
        await s3ToSf("s3-sf-small", "small", "AUTOMATIC");
        const r = await run(s, "s3-sf-small");
        assert.equal(r.executionStatus, "Successful", String(r.executionResult?.errorInfo?.executionMessage));
        assert.equal(r.executionResult?.recordsProcessed, 6);
        assert.equal(named("Small").length, 5);
        assert.equal(r.executionResult?.errorInfo?.putFailuresCount, 1);
        assert.ok(fake.calls().some((c) => c.path.endsWith("/composite/sobjects")));
        assert.ok(!fake.calls().some((c) => c.path.includes("/jobs/ingest")));
      });

      test("cancelled after the ingest job was uploaded: Canceled only after the job completed, its records counted", async () => {
        put("bulk", csv(300, "Bulk"));
        await s3ToSf("s3-sf-bulk", "bulk", "BULKV2");
        fake.configure({ ingestJobMs: 400 });
        const gate = fake.hold("/jobs/ingest/", "PATCH");
        try {
          const id = (await s.client.send(new StartFlowCommand({ flowName: "s3-sf-bulk" }))).executionId!;
          await gate.arrived;
          await s.client.send(
            new CancelFlowExecutionsCommand({ flowName: "s3-sf-bulk", executionIds: [id] }),
          );
          gate.release();
          const r = await waitForRun(s.client, "s3-sf-bulk", id, isTerminal, "cancelled run ends");
          assert.equal(r.executionStatus, "Canceled");
          const inOrg = named("Bulk").length;
          assert.equal(inOrg, 300, "the uploaded job finished");
          assert.equal(r.executionResult?.recordsProcessed, 300);
          assert.ok((r.executionResult?.bytesWritten ?? 0) > 0, "the job's records are counted as written");
          assert.equal(r.executionResult?.errorInfo?.putFailuresCount ?? 0, 0);
          const polls = fake.calls().filter((c) => c.method === "GET" && /\/jobs\/ingest\/\w+$/.test(c.path));
          assert.ok(polls.length > 0, "the job was polled to its end before the run ended");
        } finally {
          fake.configure({ ingestJobMs: 50 });
        }
      });

      test("cancelled before the upload: the ingest job is aborted and nothing is written", async () => {
        put("early", csv(50, "Early"));
        await s3ToSf("s3-sf-early", "early", "BULKV2");
        const gate = fake.hold("/batches", "PUT");
        const id = (await s.client.send(new StartFlowCommand({ flowName: "s3-sf-early" }))).executionId!;
        await gate.arrived;
        await s.client.send(new CancelFlowExecutionsCommand({ flowName: "s3-sf-early", executionIds: [id] }));
        const r = await waitForRun(s.client, "s3-sf-early", id, isTerminal, "cancelled run ends");
        gate.release();
        assert.equal(r.executionStatus, "Canceled");
        assert.ok(fake.calls().some((c) => c.method === "PATCH" && c.path.includes("/jobs/ingest/")));
        assert.equal(named("Early").length, 0);
      });
    });
  });
}

/**
 * The Salesforce source and destination called directly (no engine) against the fake: an incremental
 * window pulls only the records modified in it; UPSERT over Bulk API 2.0 by external id; UPDATE and
 * DELETE over sObject Collections by the id field; refused records go to the error bucket, and
 * failOnFirstDestinationError ends the write after counting what Salesforce accepted.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { salesforceConnector } from "../../src/connectors/salesforce/index.ts";
import type {
  ConnectorEnvironment,
  RecordBatch,
  ResolvedProfile,
  RunContext,
} from "../../src/connectors/types.ts";
import type { FlowDefinition, Task } from "../../src/domain/flow.ts";
import { type FakeSalesforce, startFakeSalesforce } from "../fakes/salesforce/server.ts";
import { connectorContext } from "../helpers/connector-context.ts";

describe("Salesforce source and destination against the fake", () => {
  let fake: FakeSalesforce;
  let env: ConnectorEnvironment;
  let profile: ResolvedProfile;

  before(async () => {
    fake = await startFakeSalesforce({
      records: { Account: 300, Contact: 0, Opportunity: 0 },
      ingestJobQueuedMs: 0,
      ingestJobMs: 0,
    });
    env = {
      dataDir: mkdtempSync(join(tmpdir(), "sf-conn-")),
      s3: {},
      redshiftBatchRows: 100,
      sourceParallelism: 1,
      batchRows: 100,
    };
    profile = {
      connectorProfileName: "sf",
      connectorType: "Salesforce",
      properties: { instanceUrl: fake.instanceUrl },
      credentials: { accessToken: fake.issueAccessToken() },
    };
  });
  after(() => fake.stop());

  const base = (flow: Partial<FlowDefinition>): RunContext => ({
    flow: {
      flowName: "sf-test",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/sf-test",
      accountId: "000000000000",
      region: "us-east-1",
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: { connectorType: "Salesforce", sourceConnectorProperties: {} },
      destinationFlowConfigList: [],
      tasks: [],
      schemaVersion: 1,
      ...flow,
    },
    executionId: "exec-1",
    startedAt: new Date(),
    env,
  });

  async function read(props: Record<string, unknown>, flow: Partial<FlowDefinition>): Promise<RecordBatch[]> {
    const ctx = connectorContext(base(flow), { profile });
    const src = salesforceConnector.source!.create(
      { connectorType: "Salesforce", sourceConnectorProperties: { Salesforce: props } },
      ctx,
    );
    const out: RecordBatch[] = [];
    for await (const b of src.read()) out.push(b);
    return out;
  }

  async function write(props: Record<string, unknown>, batch: RecordBatch) {
    const ctx = connectorContext(base({}), { profile });
    const dst = salesforceConnector.destination!.create(
      { connectorType: "Salesforce", destinationConnectorProperties: { Salesforce: props } },
      ctx,
    );
    const w = await dst.open();
    await w.write(batch);
    return w.finish();
  }

  const projection: Task[] = [
    {
      sourceFields: ["Id", "SystemModstamp"],
      connectorOperator: { Salesforce: "PROJECTION" },
      taskType: "Filter",
    },
  ];

  test("an incremental window [start, end) pulls only the records modified in it, over REST and Bulk", async () => {
    const all = fake.records("Account");
    const stamps = all.map((r) => Date.parse(String(r.SystemModstamp))).sort((a, b) => a - b);
    const start = stamps[100]!;
    const end = stamps[150]!;
    const expected = all.filter((r) => {
      const t = Date.parse(String(r.SystemModstamp));
      return t >= start && t < end;
    });
    assert.ok(expected.length >= 50);
    for (const api of ["REST_SYNC", "BULKV2"]) {
      const batches = await read(
        { object: "Account", dataTransferApi: api },
        { tasks: projection, dataPullWindow: { start, end } },
      );
      const ids = batches.flatMap((b) => b.rows.map((r) => r[0]));
      assert.deepEqual(new Set(ids), new Set(expected.map((r) => r.Id)), api);
    }
  });

  test("UPSERT over Bulk API 2.0 creates and updates by the external id field", async () => {
    fake.insert("Account", { Name: "Before", External_Id__c: "UP-1" });
    const p = await write(
      {
        object: "Account",
        writeOperationType: "UPSERT",
        idFieldNames: ["External_Id__c"],
        dataTransferApi: "BULKV2",
      },
      {
        fields: ["External_Id__c", "Name"],
        rows: [
          ["UP-1", "After"],
          ["UP-2", "New"],
        ],
        bytes: 0,
      },
    );
    assert.equal(p.recordsWritten, 2);
    const byExt = new Map(fake.records("Account").map((r) => [r.External_Id__c, r.Name]));
    assert.equal(byExt.get("UP-1"), "After");
    assert.equal(byExt.get("UP-2"), "New");
    assert.ok(fake.calls().some((c) => c.path.includes("/jobs/ingest")));
  });

  test("UPDATE and DELETE over sObject Collections take the id from idFieldNames", async () => {
    const a = fake.insert("Account", { Name: "To update" });
    const b = fake.insert("Account", { Name: "To delete" });
    const up = await write(
      {
        object: "Account",
        writeOperationType: "UPDATE",
        idFieldNames: ["RecordId"],
        dataTransferApi: "REST_SYNC",
      },
      { fields: ["RecordId", "Name"], rows: [[a, "Updated"]], bytes: 0 },
    );
    assert.equal(up.recordsWritten, 1);
    const del = await write(
      { object: "Account", writeOperationType: "DELETE", dataTransferApi: "AUTOMATIC" },
      { fields: ["Id", "Name"], rows: [[b, "ignored"]], bytes: 0 },
    );
    assert.equal(del.recordsWritten, 1);
    const live = new Map(fake.records("Account").map((r) => [r.Id, r.Name]));
    assert.equal(live.get(a), "Updated");
    assert.equal(live.has(b), false);
  });

  test("refused records go to the error bucket; failOnFirstDestinationError stops after counting", async () => {
    const bucket = join(env.dataDir, "s3", "errors");
    mkdirSync(bucket, { recursive: true });
    const batch: RecordBatch = {
      fields: ["Name", "Industry"],
      rows: [
        ["Fine", "Energy"],
        [null, "Energy"],
      ],
      bytes: 0,
    };
    const p = await write(
      {
        object: "Account",
        dataTransferApi: "BULKV2",
        errorHandlingConfig: { bucketName: "errors", bucketPrefix: "sf" },
      },
      batch,
    );
    assert.equal(p.recordsWritten, 1);
    assert.equal(p.putFailures, 1);
    const dir = join(bucket, "sf", "sf-test", "exec-1");
    const files = readdirSync(dir);
    assert.deepEqual(files, ["failed-00000.csv"]);
    const csv = readFileSync(join(dir, files[0]!), "utf8");
    assert.match(csv, /^sf__Error,Name,Industry\n/);
    assert.match(csv, /REQUIRED_FIELD_MISSING/);
    await assert.rejects(
      write(
        {
          object: "Account",
          dataTransferApi: "REST_SYNC",
          errorHandlingConfig: { failOnFirstDestinationError: true },
        },
        batch,
      ),
      /Salesforce refused 1 record of Account .*failOnFirstDestinationError/,
    );
  });
});

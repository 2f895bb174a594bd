/**
 * Per-key policies from the credentials file: a read-only key, and a key that may cancel runs only
 * of flows named allowed-*. A denied request is 403 AccessDeniedException and changes nothing.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  type AppflowClient,
  CancelFlowExecutionsCommand,
  CreateFlowCommand,
  DeleteFlowCommand,
  DescribeFlowCommand,
  ListFlowsCommand,
  StartFlowCommand,
  TagResourceCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import {
  copyTasks,
  createPgProfile,
  createS3ToPgFlow,
  createSlowTable,
  isTerminal,
  makeBucket,
  records,
  runRecord,
  type TestTable,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { appflowClient, startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { assertNotCancelled, rejectsWith, writeCredentialsFile } from "./api-helpers.ts";

const ACCOUNT = "333333333333";
const READ = ["appflow:Describe*", "appflow:List*"];

for (const backend of backends) {
  describe(`policy denials (${backend})`, async () => {
    // The long runs write into a slow PostgreSQL table, whatever the store's backend.
    const skip = (await pgSkipReason(backend)) ?? (await pgSkipReason("postgres"));
    const creds = writeCredentialsFile([
      { accessKeyId: "test", secretAccessKey: "test", accountId: ACCOUNT },
      {
        accessKeyId: "reader",
        secretAccessKey: "reader-secret",
        accountId: ACCOUNT,
        policy: { allow: [{ actions: READ, resources: ["*"] }] },
      },
      {
        accessKeyId: "canceller",
        secretAccessKey: "canceller-secret",
        accountId: ACCOUNT,
        policy: {
          allow: [
            { actions: READ, resources: ["*"] },
            { actions: ["appflow:CancelFlowExecutions"], resources: ["arn:aws:appflow:*:*:flow/allowed-*"] },
          ],
        },
      },
    ]);
    let s: TestServer;
    let reader: AppflowClient;
    let canceller: AppflowClient;
    let slow: TestTable | undefined;
    const flowNames = async () =>
      ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).map((f) => f.flowName);
    const startLong = async (flowName: string) => {
      const id = (await s.client.send(new StartFlowCommand({ flowName }))).executionId!;
      await waitForRun(s.client, flowName, id, (r) => r.executionStatus === "InProgress", "run");
      return id;
    };
    const endRun = async (flowName: string, id: string) => {
      await s.client.send(new CancelFlowExecutionsCommand({ flowName, executionIds: [id] }));
      await waitForRun(s.client, flowName, id, isTerminal, "run to end");
    };
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend, {
        credentialsFile: creds.file,
        engine: { batchRows: 200, redshiftBatchRows: 200 },
      });
      reader = appflowClient(s.sluice.url, "reader", "reader-secret");
      canceller = appflowClient(s.sluice.url, "canceller", "canceller-secret");
      for (const b of ["out-allowed", "out-blocked"]) makeBucket(s.dataDir, b);
      await writeCsv(s.dataDir, "policy-in", "big/data.csv", 10_000);
      // 5 ms per row: a run takes 50 s however fast the machine (still going while the test acts on
      // it), and its 200-row batch in flight about 1 s (a cancel ends it quickly).
      slow = await createSlowTable(5);
      await createPgProfile(s.client, "pg");
      for (const name of ["allowed-nightly", "blocked-nightly"]) {
        await createS3ToPgFlow(s.client, name, {
          inBucket: "policy-in",
          prefix: "big",
          profile: "pg",
          table: slow.table,
        });
      }
    });
    after(async () => {
      reader?.destroy();
      canceller?.destroy();
      await s?.close();
      await slow?.drop();
      rmSync(creds.dir, { recursive: true, force: true });
    });

    test("a read-only key can describe and list", { skip }, async () => {
      const listed = (await reader.send(new ListFlowsCommand({}))).flows ?? [];
      assert.equal(listed.length, 2);
      const d = await reader.send(new DescribeFlowCommand({ flowName: "allowed-nightly" }));
      assert.equal(d.flowName, "allowed-nightly");
    });

    test("a read-only key can't create, start, tag or delete: AccessDenied, nothing changes", {
      skip,
    }, async () => {
      await rejectsWith(
        reader.send(
          new CreateFlowCommand({
            flowName: "by-reader",
            triggerConfig: { triggerType: "OnDemand" },
            sourceFlowConfig: {
              connectorType: "S3",
              sourceConnectorProperties: { S3: { bucketName: "policy-in" } },
            },
            destinationFlowConfigList: [
              { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "out-allowed" } } },
            ],
            tasks: copyTasks(),
          }),
        ),
        "AccessDeniedException",
        {
          status: 403,
          message: /arn:aws:iam::333333333333:user\/reader is not authorized to perform: appflow:CreateFlow/,
        },
      );
      assert.ok(!(await flowNames()).includes("by-reader"));
      await rejectsWith(
        reader.send(new StartFlowCommand({ flowName: "allowed-nightly" })),
        "AccessDeniedException",
      );
      assert.deepEqual(await records(s.client, "allowed-nightly"), []);
      const resourceArn = `arn:aws:appflow:us-east-1:${ACCOUNT}:flow/allowed-nightly`;
      await rejectsWith(
        reader.send(new TagResourceCommand({ resourceArn, tags: { a: "b" } })),
        "AccessDeniedException",
      );
      await rejectsWith(
        reader.send(new DeleteFlowCommand({ flowName: "allowed-nightly" })),
        "AccessDeniedException",
      );
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "allowed-nightly" }));
      assert.deepEqual(d.tags ?? {}, {});
    });

    test("a read-only key can't cancel a run: AccessDenied, the run goes on", { skip }, async () => {
      const id = await startLong("blocked-nightly");
      await rejectsWith(
        reader.send(new CancelFlowExecutionsCommand({ flowName: "blocked-nightly" })),
        "AccessDeniedException",
        {
          status: 403,
          message:
            /appflow:CancelFlowExecutions on resource: arn:aws:appflow:us-east-1:333333333333:flow\/blocked-nightly/,
        },
      );
      assertNotCancelled(await runRecord(s.client, "blocked-nightly", id));
      await endRun("blocked-nightly", id);
    });

    test("CancelFlowExecutions allowed only on flow/allowed-*", { skip }, async () => {
      const blocked = await startLong("blocked-nightly");
      await rejectsWith(
        canceller.send(
          new CancelFlowExecutionsCommand({ flowName: "blocked-nightly", executionIds: [blocked] }),
        ),
        "AccessDeniedException",
        { status: 403 },
      );
      assertNotCancelled(await runRecord(s.client, "blocked-nightly", blocked));
      const allowed = await startLong("allowed-nightly");
      const res = await canceller.send(
        new CancelFlowExecutionsCommand({ flowName: "allowed-nightly", executionIds: [allowed] }),
      );
      assert.deepEqual(res.invalidExecutions, []);
      const done = await waitForRun(s.client, "allowed-nightly", allowed, isTerminal, "cancelled run");
      assert.equal(done.executionStatus, "Canceled");
      // Being allowed to cancel doesn't allow starting.
      await rejectsWith(
        canceller.send(new StartFlowCommand({ flowName: "allowed-nightly" })),
        "AccessDeniedException",
      );
      assertNotCancelled(await runRecord(s.client, "blocked-nightly", blocked));
      await endRun("blocked-nightly", blocked);
    });
  });
}

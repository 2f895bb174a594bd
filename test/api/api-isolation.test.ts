/**
 * Account isolation: two keys in two accounts (a credentials file in a temp dir). Account B sees
 * none of A's flows, runs, tags or profiles, can't act on them, and A's names and execution ids mean
 * nothing in B.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  type AppflowClient,
  CancelFlowExecutionsCommand,
  CreateFlowCommand,
  DeleteFlowCommand,
  DescribeConnectorProfilesCommand,
  DescribeFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  ListFlowsCommand,
  ListTagsForResourceCommand,
  StartFlowCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import {
  copyTasks,
  createGatedTable,
  createPgProfile,
  createS3ToPgFlow,
  createS3ToS3Flow,
  isTerminal,
  makeBucket,
  runRecord,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { appflowClient, startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { assertNotCancelled, rejectsWith, writeCredentialsFile } from "./api-helpers.ts";

const A = "111111111111";
const B = "222222222222";
const arnIn = (account: string, name: string) => `arn:aws:appflow:us-east-1:${account}:flow/${name}`;

for (const backend of backends) {
  describe(`account isolation (${backend})`, async () => {
    const pgSkip = await pgSkipReason("postgres");
    // A's run writes into a gated PostgreSQL table (in progress by construction) on both backends.
    const skip = (await pgSkipReason(backend)) ?? pgSkip;
    const creds = writeCredentialsFile([
      { accessKeyId: "test", secretAccessKey: "test", accountId: A },
      { accessKeyId: "bob", secretAccessKey: "bob-secret", accountId: B },
    ]);
    let s: TestServer;
    let b: AppflowClient;
    let runA: string;
    let gated: Awaited<ReturnType<typeof createGatedTable>> | undefined;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend, { credentialsFile: creds.file, engine: { batchRows: 500 } });
      b = appflowClient(s.sluice.url, "bob", "bob-secret");
      makeBucket(s.dataDir, "out-a");
      makeBucket(s.dataDir, "out-b");
      await writeCsv(s.dataDir, "in-a", "big/data.csv", 1_000);
      // Every row is held at the gate: A's run stays in progress until the suite is over.
      gated = await createGatedTable(0);
      await createPgProfile(s.client, "gate-pg");
      await createS3ToPgFlow(s.client, "secret-flow", {
        inBucket: "in-a",
        prefix: "big",
        profile: "gate-pg",
        table: gated.table,
      });
      await s.client.send(
        new TagResourceCommand({ resourceArn: arnIn(A, "secret-flow"), tags: { owner: "a" } }),
      );
      runA = (await s.client.send(new StartFlowCommand({ flowName: "secret-flow" }))).executionId!;
    });
    after(async () => {
      if (s) {
        await s.client.send(new CancelFlowExecutionsCommand({ flowName: "secret-flow" })).catch(() => {});
        await gated?.open();
        await waitForRun(s.client, "secret-flow", runA, isTerminal, "A's run to end").catch(() => {});
      }
      b?.destroy();
      await s?.close();
      await gated?.drop();
      rmSync(creds.dir, { recursive: true, force: true });
    });

    test("B can't see or touch A's flow: ResourceNotFoundException everywhere", { skip }, async () => {
      const flowName = "secret-flow";
      const resourceArn = arnIn(A, flowName);
      const calls: [string, () => Promise<unknown>][] = [
        ["DescribeFlow", () => b.send(new DescribeFlowCommand({ flowName }))],
        ["StartFlow", () => b.send(new StartFlowCommand({ flowName }))],
        ["CancelFlowExecutions", () => b.send(new CancelFlowExecutionsCommand({ flowName }))],
        [
          "CancelFlowExecutions (ids)",
          () => b.send(new CancelFlowExecutionsCommand({ flowName, executionIds: [runA] })),
        ],
        ["DescribeFlowExecutionRecords", () => b.send(new DescribeFlowExecutionRecordsCommand({ flowName }))],
        ["DeleteFlow", () => b.send(new DeleteFlowCommand({ flowName, forceDelete: true }))],
        [
          "UpdateFlow",
          () =>
            b.send(
              new UpdateFlowCommand({
                flowName,
                triggerConfig: { triggerType: "OnDemand" },
                sourceFlowConfig: {
                  connectorType: "S3",
                  sourceConnectorProperties: { S3: { bucketName: "in-a" } },
                },
                destinationFlowConfigList: [
                  { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "out-b" } } },
                ],
                tasks: copyTasks(),
              }),
            ),
        ],
        ["TagResource", () => b.send(new TagResourceCommand({ resourceArn, tags: { owner: "b" } }))],
        ["UntagResource", () => b.send(new UntagResourceCommand({ resourceArn, tagKeys: ["owner"] }))],
        ["ListTagsForResource", () => b.send(new ListTagsForResourceCommand({ resourceArn }))],
      ];
      for (const [op, call] of calls) {
        await rejectsWith(call(), "ResourceNotFoundException", { status: 404 }).catch((e: Error) =>
          assert.fail(`${op}: ${e.message}`),
        );
      }
      // A's flow, run and tags are exactly as they were.
      const d = await s.client.send(new DescribeFlowCommand({ flowName }));
      assert.deepEqual(d.tags, { owner: "a" });
      assert.equal(
        d.destinationFlowConfigList?.[0]?.destinationConnectorProperties?.Redshift?.object,
        gated?.table,
      );
      const runs = await s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName }));
      assert.deepEqual(
        runs.flowExecutions?.map((r) => r.executionId),
        [runA],
      );
      assertNotCancelled(await runRecord(s.client, flowName, runA));
    });

    test("B's ListFlows shows only B's flows", { skip }, async () => {
      assert.deepEqual((await b.send(new ListFlowsCommand({}))).flows ?? [], []);
      await createS3ToS3Flow(b, "b-flow", { inBucket: "in-a", prefix: "none", outBucket: "out-b" });
      assert.deepEqual(
        (await b.send(new ListFlowsCommand({}))).flows?.map((f) => f.flowName),
        ["b-flow"],
      );
      const aNames = ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).map((f) => f.flowName);
      assert.ok(aNames.includes("secret-flow") && !aNames.includes("b-flow"));
    });

    test("names are per account; A's execution ids are invalid in B", { skip }, async () => {
      const created = await b.send(
        new CreateFlowCommand({
          flowName: "secret-flow",
          triggerConfig: { triggerType: "OnDemand" },
          sourceFlowConfig: {
            connectorType: "S3",
            sourceConnectorProperties: { S3: { bucketName: "in-b" } },
          },
          destinationFlowConfigList: [
            { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "out-b" } } },
          ],
          tasks: copyTasks(),
        }),
      );
      assert.equal(created.flowArn, arnIn(B, "secret-flow"));
      assert.deepEqual(
        (await b.send(new DescribeFlowExecutionRecordsCommand({ flowName: "secret-flow" }))).flowExecutions ??
          [],
        [],
      );
      const res = await b.send(
        new CancelFlowExecutionsCommand({ flowName: "secret-flow", executionIds: [runA] }),
      );
      assert.deepEqual(res.invalidExecutions, [runA]);
      // Cancelling "all" of B's same-named flow leaves A's run alone.
      assert.deepEqual(
        (await b.send(new CancelFlowExecutionsCommand({ flowName: "secret-flow" }))).invalidExecutions,
        [],
      );
      assertNotCancelled(await runRecord(s.client, "secret-flow", runA));
      assert.deepEqual(
        (await b.send(new ListTagsForResourceCommand({ resourceArn: arnIn(B, "secret-flow") }))).tags,
        {},
      );
      // B's own ARN form of A's name is B's flow; A's ARN stays A's.
      await b.send(new TagResourceCommand({ resourceArn: arnIn(B, "secret-flow"), tags: { owner: "b" } }));
      assert.deepEqual(
        (await s.client.send(new ListTagsForResourceCommand({ resourceArn: arnIn(A, "secret-flow") }))).tags,
        {
          owner: "a",
        },
      );
    });

    test("B can't see or use A's connector profiles", { skip: skip ?? pgSkip }, async () => {
      await createPgProfile(s.client, "a-profile");
      const seen = await b.send(new DescribeConnectorProfilesCommand({}));
      assert.deepEqual(seen.connectorProfileDetails ?? [], []);
      const named = await b.send(
        new DescribeConnectorProfilesCommand({ connectorProfileNames: ["a-profile"] }),
      );
      assert.deepEqual(named.connectorProfileDetails ?? [], []);
      await rejectsWith(
        createS3ToPgFlow(b, "steal", {
          inBucket: "in-a",
          prefix: "big",
          profile: "a-profile",
          table: "public.x",
        }),
        "ResourceNotFoundException",
        { message: /a-profile/ },
      );
      const mine = await s.client.send(
        new DescribeConnectorProfilesCommand({ connectorProfileNames: ["a-profile"] }),
      );
      assert.equal(mine.connectorProfileDetails?.length, 1);
    });
  });
}

/**
 * A restart (same data dir / same PostgreSQL schema) keeps flows, profiles, tags, runs and clientToken
 * records; the restarted server keeps working on them.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  DescribeConnectorProfilesCommand,
  DescribeFlowCommand,
  ListFlowsCommand,
  ListTagsForResourceCommand,
  StartFlowCommand,
  TagResourceCommand,
  UpdateFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import {
  COLUMNS,
  copyTasks,
  createPgProfile,
  createS3ToS3Flow,
  isTerminal,
  makeBucket,
  records,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const ARN = "arn:aws:appflow:us-east-1:000000000000:flow/kept";

for (const backend of backends) {
  describe(`restart persistence (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    const pgSkip = await pgSkipReason("postgres");
    let s: TestServer;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      makeBucket(s.dataDir, "kept-out");
      await writeCsv(s.dataDir, "kept-in", "rows/data.csv", 12);
    });
    after(async () => s?.close());

    test("flows, tags, runs, profiles and tokens survive a restart", { skip }, async () => {
      await createS3ToS3Flow(s.client, "kept", {
        inBucket: "kept-in",
        prefix: "rows",
        outBucket: "kept-out",
      });
      await s.client.send(new TagResourceCommand({ resourceArn: ARN, tags: { team: "data", tier: "1" } }));
      const d0 = await s.client.send(new DescribeFlowCommand({ flowName: "kept" }));
      await s.client.send(
        new UpdateFlowCommand({
          flowName: "kept",
          triggerConfig: d0.triggerConfig,
          sourceFlowConfig: d0.sourceFlowConfig,
          destinationFlowConfigList: d0.destinationFlowConfigList,
          tasks: copyTasks(COLUMNS.slice(0, 4)),
        }),
      );
      const run = await s.client.send(
        new StartFlowCommand({ flowName: "kept", clientToken: "before-restart" }),
      );
      const done = await waitForRun(s.client, "kept", run.executionId!, isTerminal, "run");
      assert.equal(done.executionStatus, "Successful");
      if (!pgSkip) await createPgProfile(s.client, "kept-profile");
      const before = await s.client.send(new DescribeFlowCommand({ flowName: "kept" }));

      s = await s.restart();

      const after = await s.client.send(new DescribeFlowCommand({ flowName: "kept" }));
      assert.equal(after.schemaVersion, 2);
      assert.deepEqual(after.tasks, before.tasks);
      assert.deepEqual(after.tags, { team: "data", tier: "1" });
      assert.equal(after.createdAt?.getTime(), before.createdAt?.getTime());
      assert.equal(after.lastRunExecutionDetails?.mostRecentExecutionStatus, "Successful");
      assert.deepEqual(
        (await s.client.send(new ListFlowsCommand({}))).flows?.map((f) => f.flowName),
        ["kept"],
      );
      assert.deepEqual((await s.client.send(new ListTagsForResourceCommand({ resourceArn: ARN }))).tags, {
        team: "data",
        tier: "1",
      });
      const [rec] = await records(s.client, "kept");
      assert.equal(rec?.executionId, run.executionId);
      assert.equal(rec?.executionStatus, "Successful");
      assert.deepEqual(rec?.executionResult, done.executionResult);
      if (!pgSkip) {
        const p = await s.client.send(
          new DescribeConnectorProfilesCommand({ connectorProfileNames: ["kept-profile"] }),
        );
        assert.equal(p.connectorProfileDetails?.[0]?.connectorType, "Redshift");
      }
      // The token still answers with the first run; a new token starts a new run that succeeds.
      const same = await s.client.send(
        new StartFlowCommand({ flowName: "kept", clientToken: "before-restart" }),
      );
      assert.equal(same.executionId, run.executionId);
      const next = await s.client.send(new StartFlowCommand({ flowName: "kept" }));
      const nextDone = await waitForRun(s.client, "kept", next.executionId!, isTerminal, "run after restart");
      assert.equal(nextDone.executionStatus, "Successful");
      assert.equal(nextDone.executionResult?.recordsProcessed, 12);
      assert.equal((await records(s.client, "kept")).length, 2);
    });
  });
}

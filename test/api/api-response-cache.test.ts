/**
 * ListFlows and DescribeFlowExecutionRecords never answer with data older than the last write, on both
 * backends (SQLite serves a repeated read from its response cache until the next write; PostgreSQL
 * reads every time). Each write goes through the store as the engine's and the API's writes do; each
 * read right after it must show it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CancelFlowExecutionsCommand,
  CreateFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  ListFlowsCommand,
  StartFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { isTerminal, makeBucket, waitForRun, writeCsv } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { s3Flow } from "./api-helpers.ts";

for (const backend of backends) {
  describe(`read answers after writes (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      makeBucket(s.dataDir, "outbox");
      await writeCsv(s.dataDir, "inbox", "small/data.csv", 5);
    });
    after(async () => {
      await s?.close();
    });

    const describeRuns = async (flowName: string) =>
      (await s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName, maxResults: 100 })))
        .flowExecutions ?? [];
    const lastRun = async (flowName: string) =>
      (await s.client.send(new ListFlowsCommand({ maxResults: 100 }))).flows?.find(
        (f) => f.flowName === flowName,
      )?.lastRunExecutionDetails;

    test("every progress write shows in the next read of both operations", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("cached")));
      const { executionId } = await s.client.send(new StartFlowCommand({ flowName: "cached" }));
      await waitForRun(s.client, "cached", executionId!, isTerminal, "the run's end");
      const db = s.sluice.app.store.db;
      for (let i = 1; i <= 20; i++) {
        // Each read twice: the second may be a cached answer, and must be the same.
        for (let twice = 0; twice < 2; twice++) {
          const [rec] = await describeRuns("cached");
          assert.equal(rec?.executionResult?.recordsProcessed, i === 1 ? 5 : i - 1);
        }
        await db
          .updateTable("runs")
          .set({ records_processed: i, updated_at: 1_000_000 * i })
          .where("execution_id", "=", executionId!)
          .execute();
        const [rec] = await describeRuns("cached");
        assert.equal(rec?.executionResult?.recordsProcessed, i, `progress write ${i}`);
        assert.equal((await lastRun("cached"))?.mostRecentExecutionTime?.getTime(), 1_000_000 * i);
      }
    });

    test("a new run and its cancel show in the next reads", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("cached-2")));
      assert.deepEqual(await describeRuns("cached-2"), []);
      assert.equal(await lastRun("cached-2"), undefined);
      // No worker claims the new run: it stays queued until the cancel (a queued run ends Canceled at once).
      await s.sluice.app.workers.stop(0);
      const { executionId } = await s.client.send(new StartFlowCommand({ flowName: "cached-2" }));
      assert.deepEqual(
        (await describeRuns("cached-2")).map((r) => [r.executionId, r.executionStatus]),
        [[executionId, "InProgress"]],
      );
      assert.equal((await lastRun("cached-2"))?.mostRecentExecutionStatus, "InProgress");
      await s.client.send(
        new CancelFlowExecutionsCommand({ flowName: "cached-2", executionIds: [executionId!] }),
      );
      assert.equal((await describeRuns("cached-2"))[0]?.executionStatus, "Canceled");
      assert.equal((await lastRun("cached-2"))?.mostRecentExecutionStatus, "Canceled");
    });
  });
}

/**
 * Flow runs through the real SDK: StartFlow and the last-run details, StopFlow (unsupported on an
 * on-demand flow), DeleteFlow of a flow with a run in progress (Conflict unless forceDelete), and
 * CancelFlowExecutions' 100-id limit.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CancelFlowExecutionsCommand,
  CreateFlowCommand,
  DeleteFlowCommand,
  DescribeFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  ListFlowsCommand,
  ListTagsForResourceCommand,
  StartFlowCommand,
  StopFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import {
  createPgProfile,
  createS3ToPgFlow,
  createSlowTable,
  isTerminal,
  makeBucket,
  type TestTable,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rejectsWith, s3Flow } from "./api-helpers.ts";

for (const backend of backends) {
  describe(`flow runs (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    // The long run writes into a slow PostgreSQL table, whatever the store's backend.
    const pgSkip = skip ?? (await pgSkipReason("postgres"));
    let s: TestServer;
    let slow: TestTable | undefined;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend, { engine: { batchRows: 200, redshiftBatchRows: 200 } });
      makeBucket(s.dataDir, "outbox");
      await writeCsv(s.dataDir, "inbox", "small/data.csv", 20);
      await writeCsv(s.dataDir, "inbox", "big/data.csv", 10_000);
      if (pgSkip) return;
      // 5 ms per row: 10,000 rows take 50 s however fast the machine, and a 200-row batch about 1 s,
      // so the run is still going when the test acts on it and a cancel ends it quickly.
      slow = await createSlowTable(5);
      await createPgProfile(s.client, "pg");
    });
    after(async () => {
      await s?.close();
      await slow?.drop();
    });

    test("StopFlow on an on-demand flow is UnsupportedOperationException", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("on-demand")));
      await rejectsWith(
        s.client.send(new StopFlowCommand({ flowName: "on-demand" })),
        "UnsupportedOperationException",
        {
          status: 400,
        },
      );
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "on-demand" }));
      assert.equal(d.flowStatus, "Active");
    });

    test("StartFlow runs the flow; DescribeFlow and ListFlows report the last run", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("runner")));
      const started = await s.client.send(new StartFlowCommand({ flowName: "runner" }));
      assert.equal(started.flowStatus, "Active");
      assert.equal(started.flowArn, "arn:aws:appflow:us-east-1:000000000000:flow/runner");
      const id = started.executionId!;
      assert.match(id, /^[0-9a-f-]{36}$/);
      const done = await waitForRun(s.client, "runner", id, isTerminal, "run");
      assert.equal(done.executionStatus, "Successful");
      assert.equal(done.executionResult?.recordsProcessed, 20);
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "runner" }));
      assert.equal(d.lastRunExecutionDetails?.mostRecentExecutionStatus, "Successful");
      assert.ok(d.lastRunExecutionDetails?.mostRecentExecutionTime instanceof Date);
      const summary = ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).find(
        (f) => f.flowName === "runner",
      );
      assert.equal(summary?.lastRunExecutionDetails?.mostRecentExecutionStatus, "Successful");
    });

    test("DeleteFlow refuses a flow with a run in progress unless forceDelete", {
      skip: pgSkip,
    }, async () => {
      await createS3ToPgFlow(s.client, "long", {
        inBucket: "inbox",
        prefix: "big",
        profile: "pg",
        table: slow!.table,
      });
      const arn = "arn:aws:appflow:us-east-1:000000000000:flow/long";
      const id = (await s.client.send(new StartFlowCommand({ flowName: "long" }))).executionId!;
      await rejectsWith(s.client.send(new DeleteFlowCommand({ flowName: "long" })), "ConflictException", {
        status: 409,
      });
      const still = await waitForRun(s.client, "long", id, () => true, "the run record");
      assert.ok(["InProgress", "CancelStarted"].includes(still.executionStatus!), "the run was left alone");
      await s.client.send(new DeleteFlowCommand({ flowName: "long", forceDelete: true }));
      await rejectsWith(
        s.client.send(new DescribeFlowCommand({ flowName: "long" })),
        "ResourceNotFoundException",
      );
      await rejectsWith(
        s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "long" })),
        "ResourceNotFoundException",
      );
      await rejectsWith(
        s.client.send(new ListTagsForResourceCommand({ resourceArn: arn })),
        "ResourceNotFoundException",
      );
      // The name is free again, and the new flow starts with no history.
      await s.client.send(new CreateFlowCommand(s3Flow("long")));
      const records = await s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "long" }));
      assert.deepEqual(records.flowExecutions ?? [], []);
    });

    test("DeleteFlow of a finished flow removes it", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("short-lived")));
      await s.client.send(new DeleteFlowCommand({ flowName: "short-lived" }));
      await rejectsWith(
        s.client.send(new DescribeFlowCommand({ flowName: "short-lived" })),
        "ResourceNotFoundException",
      );
    });

    test("CancelFlowExecutions takes at most 100 execution ids", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("cancel-many")));
      const ids = Array.from(
        { length: 101 },
        (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      );
      await rejectsWith(
        s.client.send(new CancelFlowExecutionsCommand({ flowName: "cancel-many", executionIds: ids })),
        "ValidationException",
        { status: 400, message: /executionIds/ },
      );
      const res = await s.client.send(
        new CancelFlowExecutionsCommand({ flowName: "cancel-many", executionIds: ids.slice(0, 100) }),
      );
      assert.deepEqual(res.invalidExecutions, ids.slice(0, 100));
    });
  });
}

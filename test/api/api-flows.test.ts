/**
 * Flow definitions through the real SDK: CreateFlow/DescribeFlow/ListFlows/UpdateFlow/DeleteFlow,
 * their success paths and modeled errors (ResourceNotFound, Conflict, ServiceQuotaExceeded,
 * Validation). Runs (StartFlow, StopFlow, CancelFlowExecutions, DeleteFlow of a running flow) are in
 * api-flow-runs.test.ts.
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
  StartFlowCommand,
  StopFlowCommand,
  type Task,
  UpdateFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { COLUMNS, copyTasks } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rejectsWith, s3Flow } from "./api-helpers.ts";

for (const backend of backends) {
  describe(`flow operations (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
    });
    after(async () => s?.close());

    test("CreateFlow, DescribeFlow, ListFlows: what was created is what is described", { skip }, async () => {
      const created = await s.client.send(
        new CreateFlowCommand(s3Flow("orders", { description: "nightly orders", tags: { team: "data" } })),
      );
      assert.equal(created.flowArn, "arn:aws:appflow:us-east-1:000000000000:flow/orders");
      assert.equal(created.flowStatus, "Active");
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "orders" }));
      assert.equal(d.flowArn, created.flowArn);
      assert.equal(d.description, "nightly orders");
      assert.equal(d.flowStatus, "Active");
      assert.equal(d.schemaVersion, 1);
      assert.deepEqual(d.tags, { team: "data" });
      assert.deepEqual(d.tasks, copyTasks());
      assert.equal(d.triggerConfig?.triggerType, "OnDemand");
      assert.equal(d.sourceFlowConfig?.sourceConnectorProperties?.S3?.bucketName, "inbox");
      assert.equal(d.createdBy, "arn:aws:iam::000000000000:user/test");
      assert.ok(d.createdAt instanceof Date && d.lastUpdatedAt instanceof Date);
      assert.equal(d.lastRunExecutionDetails, undefined, "no run yet");
      const listed = (await s.client.send(new ListFlowsCommand({}))).flows ?? [];
      const summary = listed.find((f) => f.flowName === "orders");
      assert.equal(summary?.sourceConnectorType, "S3");
      assert.equal(summary?.destinationConnectorType, "S3");
      assert.equal(summary?.triggerType, "OnDemand");
      assert.deepEqual(summary?.tags, { team: "data" });
    });

    test("CreateFlow of an existing name is ConflictException and keeps the first flow", {
      skip,
    }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("dup", { description: "first" })));
      await rejectsWith(
        s.client.send(new CreateFlowCommand(s3Flow("dup", { description: "second" }))),
        "ConflictException",
        { status: 409 },
      );
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "dup" }));
      assert.equal(d.description, "first");
    });

    test("CreateFlow refuses what it can't run, naming the member", { skip }, async () => {
      await rejectsWith(
        s.client.send(new CreateFlowCommand(s3Flow("bad name with spaces"))),
        "ValidationException",
        { status: 400, message: /flowName/ },
      );
      const toPg = s3Flow("to-missing-profile", {
        destinationFlowConfigList: [
          {
            connectorType: "Redshift",
            connectorProfileName: "no-such-profile",
            destinationConnectorProperties: {
              Redshift: { object: "public.t", intermediateBucketName: "staging" },
            },
          },
        ],
      });
      await rejectsWith(s.client.send(new CreateFlowCommand(toPg)), "ResourceNotFoundException", {
        status: 404,
        message: /no-such-profile/,
      });
      // CONTAINS exists for other connectors, not for S3.
      const contains = { S3: "CONTAINS" } as unknown as Task["connectorOperator"];
      const tasks: Task[] = [{ sourceFields: ["id"], connectorOperator: contains, taskType: "Filter" }];
      await rejectsWith(
        s.client.send(new CreateFlowCommand(s3Flow("bad-op", { tasks }))),
        "ValidationException",
        { message: /tasks\[0\]/ },
      );
      const names = ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).map((f) => f.flowName);
      for (const n of ["bad name with spaces", "to-missing-profile", "bad-op"]) assert.ok(!names.includes(n));
    });

    test("every flow operation on a missing flow is ResourceNotFoundException", { skip }, async () => {
      const flowName = "never-created";
      const calls: [string, () => Promise<unknown>][] = [
        ["DescribeFlow", () => s.client.send(new DescribeFlowCommand({ flowName }))],
        ["UpdateFlow", () => s.client.send(new UpdateFlowCommand(s3Flow(flowName)))],
        ["DeleteFlow", () => s.client.send(new DeleteFlowCommand({ flowName }))],
        ["StartFlow", () => s.client.send(new StartFlowCommand({ flowName }))],
        ["StopFlow", () => s.client.send(new StopFlowCommand({ flowName }))],
        ["CancelFlowExecutions", () => s.client.send(new CancelFlowExecutionsCommand({ flowName }))],
        [
          "DescribeFlowExecutionRecords",
          () => s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName })),
        ],
      ];
      for (const [op, call] of calls) {
        await rejectsWith(call(), "ResourceNotFoundException", {
          status: 404,
          message: /never-created/,
        }).catch((e: Error) => assert.fail(`${op}: ${e.message}`));
      }
    });

    test("UpdateFlow: schemaVersion moves with the tasks; connector types can't change", {
      skip,
    }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("evolving")));
      const described = () => s.client.send(new DescribeFlowCommand({ flowName: "evolving" }));
      const base = s3Flow("evolving");
      const { flowName, triggerConfig, sourceFlowConfig, destinationFlowConfigList, tasks } = base;
      const update = { flowName, triggerConfig, sourceFlowConfig, destinationFlowConfigList, tasks };
      const res = await s.client.send(new UpdateFlowCommand({ ...update, description: "only words" }));
      assert.equal(res.flowStatus, "Active");
      let d = await described();
      assert.equal(d.description, "only words");
      assert.equal(d.schemaVersion, 1, "same tasks, same schema");
      await s.client.send(new UpdateFlowCommand({ ...update, tasks: copyTasks(COLUMNS.slice(0, 3)) }));
      d = await described();
      assert.equal(d.schemaVersion, 2);
      assert.equal(d.tasks?.length, 4);
      assert.ok(d.lastUpdatedAt! >= d.createdAt!);
      await rejectsWith(
        s.client.send(
          new UpdateFlowCommand({
            ...update,
            destinationFlowConfigList: [
              {
                connectorType: "Redshift",
                connectorProfileName: "p",
                destinationConnectorProperties: {
                  Redshift: { object: "t", intermediateBucketName: "staging" },
                },
              },
            ],
          }),
        ),
        "ValidationException",
        { message: /connectorType/ },
      );
      d = await described();
      assert.equal(d.schemaVersion, 2);
      assert.equal(d.destinationFlowConfigList?.[0]?.connectorType, "S3");
    });

    test("CreateFlow beyond maxFlowsPerAccount is ServiceQuotaExceededException", { skip }, async () => {
      const q = await startTestServer(backend, { limits: { maxFlowsPerAccount: 2 } });
      try {
        await q.client.send(new CreateFlowCommand(s3Flow("q1")));
        await q.client.send(new CreateFlowCommand(s3Flow("q2")));
        await rejectsWith(
          q.client.send(new CreateFlowCommand(s3Flow("q3"))),
          "ServiceQuotaExceededException",
          {
            status: 402,
          },
        );
        assert.equal((await q.client.send(new ListFlowsCommand({}))).flows?.length, 2);
        await q.client.send(new DeleteFlowCommand({ flowName: "q1" }));
        await q.client.send(new CreateFlowCommand(s3Flow("q3")));
      } finally {
        await q.close();
      }
    });

    test("concurrent creates never pass maxFlowsPerAccount", { skip }, async () => {
      const q = await startTestServer(backend, { limits: { maxFlowsPerAccount: 3 } });
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => q.client.send(new CreateFlowCommand(s3Flow(`race-${i}`)))),
        );
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
        for (const r of results) {
          if (r.status === "rejected")
            assert.equal((r.reason as Error).name, "ServiceQuotaExceededException");
        }
        assert.equal((await q.client.send(new ListFlowsCommand({}))).flows?.length, 3);
      } finally {
        await q.close();
      }
    });
  });
}

/**
 * Scheduled flows through the API on both backends: StartFlow activates, each tick fires once (also
 * with two schedulers racing), StopFlow deactivates without cancelling runs, repeated failures
 * deactivate the flow, incremental runs pull their window. Time is driven through `tick(now)`.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { rmSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type AppflowClient,
  CancelFlowExecutionsCommand,
  CreateFlowCommand,
  DescribeFlowCommand,
  StartFlowCommand,
  StopFlowCommand,
} from "@aws-sdk/client-appflow";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { backends } from "../helpers/backends.ts";
import {
  copyTasks,
  createGatedTable,
  createPgProfile,
  isTerminal,
  makeBucket,
  records,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const HOUR = 3_600_000;

async function createScheduled(
  client: AppflowClient,
  flowName: string,
  startMs: number,
  opts: {
    prefix: string;
    bucket?: string;
    outBucket?: string;
    /** A PostgreSQL table (through the Redshift connector, profile "pg") instead of an S3 bucket. */
    table?: string;
    threshold?: number;
    incremental?: boolean;
  },
) {
  await client.send(
    new CreateFlowCommand({
      flowName,
      triggerConfig: {
        triggerType: "Scheduled",
        triggerProperties: {
          Scheduled: {
            scheduleExpression: "rate(1hours)",
            scheduleStartTime: new Date(startMs),
            dataPullMode: opts.incremental ? "Incremental" : "Complete",
            ...(opts.threshold ? { flowErrorDeactivationThreshold: opts.threshold } : {}),
          },
        },
      },
      sourceFlowConfig: {
        connectorType: "S3",
        sourceConnectorProperties: { S3: { bucketName: opts.bucket ?? "inbox", bucketPrefix: opts.prefix } },
      },
      destinationFlowConfigList: [
        opts.table
          ? {
              connectorType: "Redshift",
              connectorProfileName: "pg",
              destinationConnectorProperties: {
                Redshift: { object: opts.table, intermediateBucketName: "sluice-staging" },
              },
            }
          : {
              connectorType: "S3",
              destinationConnectorProperties: { S3: { bucketName: opts.outBucket ?? "outbox" } },
            },
      ],
      tasks: copyTasks(),
    }),
  );
}

for (const backend of backends) {
  describe(`scheduled flows (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    // The run that must still be going writes into a gated PostgreSQL table, whatever the backend.
    const pgSkip = skip ?? (await pgSkipReason("postgres"));
    let gated: Awaited<ReturnType<typeof createGatedTable>> | undefined;
    let s: TestServer;
    // A schedule that starts tomorrow: the server's own timer never reaches it; the tests tick it.
    const start = Math.ceil((Date.now() + 24 * HOUR) / 1000) * 1000;
    const tick = (at: number) => s.sluice.scheduler.tick(at);
    // Other tests' flows may be due at the same time: keep the runs of one flow.
    const tickFor = async (flowName: string, at: number) => {
      const fired = await tick(at);
      const mine = new Set((await records(s.client, flowName)).map((r) => r.executionId));
      return fired.filter((id) => mine.has(id));
    };
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend, { engine: { batchRows: 200, redshiftBatchRows: 200 } });
      makeBucket(s.dataDir, "outbox");
      await writeCsv(s.dataDir, "inbox", "small/a.csv", 20);
      await writeCsv(s.dataDir, "inbox", "big/a.csv", 1_000);
      if (pgSkip) return;
      // The first 200-row batch commits, the next is held in flight: a run into it is in progress
      // for as long as the test looks, whatever the machine's speed.
      gated = await createGatedTable(200);
      await createPgProfile(s.client, "pg");
    });
    after(async () => {
      await s?.close();
      await gated?.drop();
    });

    test("StartFlow activates a Draft schedule; each tick fires exactly once", { skip }, async () => {
      await createScheduled(s.client, "hourly", start, { prefix: "small" });
      assert.equal(
        (await s.client.send(new DescribeFlowCommand({ flowName: "hourly" }))).flowStatus,
        "Draft",
      );
      const started = await s.client.send(new StartFlowCommand({ flowName: "hourly" }));
      assert.equal(started.flowStatus, "Active");
      assert.equal(started.executionId, undefined);
      assert.deepEqual(await tick(start - 1), []);
      const [first] = await tick(start);
      assert.ok(first);
      assert.deepEqual(await tick(start), [], "the same tick never fires twice");
      const rec = await waitForRun(s.client, "hourly", first, isTerminal, "the scheduled run");
      assert.equal(rec.executionStatus, "Successful");
      // Two schedulers racing for one tick (two nodes): one run.
      const other = new Scheduler(
        {
          store: s.sluice.app.store,
          log: s.sluice.app.log,
          maxActiveRunsPerAccount: 1000,
          newId: randomUUID,
          onRun: () => s.sluice.app.workers.wake(),
        },
        1000,
        Date.now,
      );
      const [a, b] = await Promise.all([tick(start + HOUR), other.tick(start + HOUR)]);
      assert.equal([...a, ...b].length, 1);
      assert.equal((await records(s.client, "hourly")).length, 2);
    });

    test("\"You also can't cancel a run that's scheduled to occur but hasn't started yet. To prevent a scheduled run, you can deactivate the flow with the StopFlow action.\"", {
      skip,
    }, async () => {
      await createScheduled(s.client, "prevented", start, { prefix: "small" });
      await s.client.send(new StartFlowCommand({ flowName: "prevented" }));
      // Before its tick there is no run to cancel: cancelling "all" changes nothing.
      assert.deepEqual(
        (await s.client.send(new CancelFlowExecutionsCommand({ flowName: "prevented" }))).invalidExecutions,
        [],
      );
      const stopped = await s.client.send(new StopFlowCommand({ flowName: "prevented" }));
      assert.equal(stopped.flowStatus, "Suspended");
      assert.deepEqual(await tickFor("prevented", start), []);
      assert.deepEqual(await records(s.client, "prevented"), []);
    });

    test("StopFlow does not cancel a run in progress", { skip: pgSkip }, async () => {
      await createScheduled(s.client, "busy", start, { prefix: "big", table: gated!.table });
      await s.client.send(new StartFlowCommand({ flowName: "busy" }));
      const [id] = await tickFor("busy", start);
      await waitForRun(
        s.client,
        "busy",
        id!,
        (r) => (r.executionResult?.recordsProcessed ?? 0) > 0,
        "processing",
      );
      await s.client.send(new StopFlowCommand({ flowName: "busy" }));
      const rec = await waitForRun(s.client, "busy", id!, () => true, "record");
      assert.equal(rec.executionStatus, "InProgress");
      await s.client.send(new CancelFlowExecutionsCommand({ flowName: "busy", executionIds: [id!] }));
      await gated!.open();
      assert.equal((await waitForRun(s.client, "busy", id!, isTerminal, "end")).executionStatus, "Canceled");
    });

    test("flowErrorDeactivationThreshold: consecutive failed runs deactivate the flow", {
      skip,
    }, async () => {
      await createScheduled(s.client, "failing", start, {
        prefix: "x",
        bucket: "missing-bucket",
        threshold: 2,
      });
      await s.client.send(new StartFlowCommand({ flowName: "failing" }));
      for (const at of [start, start + HOUR]) {
        const [id] = await tickFor("failing", at);
        assert.equal(
          (await waitForRun(s.client, "failing", id!, isTerminal, "failed run")).executionStatus,
          "Error",
        );
      }
      assert.deepEqual(await tickFor("failing", start + 2 * HOUR), []);
      assert.equal((await records(s.client, "failing")).length, 2);
      assert.equal(
        (await s.client.send(new DescribeFlowCommand({ flowName: "failing" }))).flowStatus,
        "Suspended",
      );
    });

    test("incremental runs pull the window since the previous successful run", { skip }, async () => {
      await createScheduled(s.client, "incremental", start, { prefix: "small", incremental: true });
      await s.client.send(new StartFlowCommand({ flowName: "incremental" }));
      const [first] = await tickFor("incremental", start);
      const r1 = await waitForRun(s.client, "incremental", first!, isTerminal, "first");
      const [second] = await tickFor("incremental", start + HOUR);
      const r2 = await waitForRun(s.client, "incremental", second!, isTerminal, "second");
      assert.equal(r1.dataPullEndTime?.getTime(), start);
      assert.equal(r2.dataPullStartTime?.getTime(), start);
      assert.equal(r2.dataPullEndTime?.getTime(), start + HOUR);
      // The input was written before the first window ended: the first run reads it, the second nothing new.
      assert.equal(r1.executionResult?.recordsProcessed, 20);
      assert.equal(r2.executionResult?.recordsProcessed, 0);
    });

    test("a failed incremental run loses nothing: the next window starts at the last success", {
      skip,
    }, async () => {
      makeBucket(s.dataDir, "retry-out");
      await writeCsv(s.dataDir, "inbox", "late/a.csv", 20);
      // Modified half an hour into the second window (the first pulls nothing of it).
      const modified = new Date(start + HOUR / 2);
      utimesSync(join(s.dataDir, "s3", "inbox", "late", "a.csv"), modified, modified);
      await createScheduled(s.client, "retrying", start, {
        prefix: "late",
        outBucket: "retry-out",
        incremental: true,
      });
      await s.client.send(new StartFlowCommand({ flowName: "retrying" }));
      const run = async (at: number, label: string) => {
        const [id] = await tickFor("retrying", at);
        assert.ok(id, `${label} fired`);
        return waitForRun(s.client, "retrying", id, isTerminal, label);
      };
      const r1 = await run(start, "first");
      assert.equal(r1.executionStatus, "Successful");
      assert.equal(r1.executionResult?.recordsProcessed, 0);
      // The second run fails (its destination bucket is gone): its window must not be lost.
      rmSync(join(s.dataDir, "s3", "retry-out"), { recursive: true });
      const r2 = await run(start + HOUR, "failing");
      assert.equal(r2.executionStatus, "Error");
      assert.equal(r2.dataPullStartTime?.getTime(), start);
      assert.equal(r2.dataPullEndTime?.getTime(), start + HOUR);
      makeBucket(s.dataDir, "retry-out");
      const r3 = await run(start + 2 * HOUR, "retry");
      assert.equal(r3.executionStatus, "Successful");
      assert.equal(r3.dataPullStartTime?.getTime(), start, "the window starts at the last success");
      assert.equal(r3.dataPullEndTime?.getTime(), start + 2 * HOUR);
      assert.equal(r3.executionResult?.recordsProcessed, 20, "the failed window's records are transferred");
      const r4 = await run(start + 3 * HOUR, "next");
      assert.equal(r4.dataPullStartTime?.getTime(), start + 2 * HOUR);
      assert.equal(r4.executionResult?.recordsProcessed, 0);
    });
  });
}

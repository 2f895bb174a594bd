/**
 * Event flows in one process: the bounded event buffer while the destination is down (against the fake
 * Salesforce's Streaming API and the local S3 store), the "AppFlow Event Flow Report" windows on an
 * injected clock (store level, as the subscriber calls it), and the destinations an Event flow may use.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CreateFlowCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import { emitEventFlowReport } from "../../src/engine/event-flow-report.ts";
import { takeSubscription } from "../../src/store/event-subscriptions-sql.ts";
import { type FlowRow, insertFlow } from "../../src/store/flows-sql.ts";
import { insertRun } from "../../src/store/runs/create-run.ts";
import { endRun } from "../../src/store/runs/end-run.ts";
import { startFakeSalesforce } from "../fakes/salesforce/server.ts";
import { createEventFlow, eventRuns, makeChanges } from "../helpers/event-flows.ts";
import { listLocalObjects, makeBucket } from "../helpers/flows.ts";
import { blockedBehind, Interleaver, tracked } from "../helpers/interleave.ts";
import { startTestServer, waitFor } from "../helpers/server.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

describe("event flows", () => {
  test("while deliveries fail the buffer stops at its limit; once the destination is back every change lands once", async () => {
    const fake = await startFakeSalesforce({
      records: { Account: 0, Contact: 0, Opportunity: 0 },
      cometdTimeoutMs: 2_000,
      cometdMaxEventsPerConnect: 2,
    });
    const s = await startTestServer("sqlite", {
      engine: { leaseMs: 2_000, heartbeatMs: 200, eventFlowReportMs: 500 },
      connectors: { Salesforce: { eventBatchEvents: 3, eventBatchMs: 200, eventBufferEvents: 5 } },
    });
    try {
      // No bucket "out" yet: every batch run ends Error (the destination is down).
      await createEventFlow(s.client, fake, s.dataDir, "ev");
      await s.client.send(new StartFlowCommand({ flowName: "ev" }));
      const made: { replayId: number; name: string }[] = [];
      await waitFor(async () => {
        // Until the subscriber is on, changes are not delivered: keep making one until one is read.
        made.push(...makeChanges(fake, 1, "probe"));
        return fake.cometdEventsSent() > 0;
      }, "the subscription");
      made.push(...makeChanges(fake, 20, "down"));
      await waitFor(
        async () =>
          (await eventRuns(s.client, "ev")).filter((r) => r.executionStatus === "Error").length >= 4,
        "several failed deliveries",
      );
      // 5 buffered at most before reading stops, plus one /meta/connect answer (2) that crossed it.
      assert.ok(fake.cometdEventsSent() <= 6, `events read while failing: ${fake.cometdEventsSent()}`);

      makeBucket(s.dataDir, "out");
      const read = () =>
        listLocalObjects(s.dataDir, "out").flatMap((k) =>
          readFileSync(join(s.dataDir, "s3", "out", k), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { ReplayId: number; Name: string }),
        );
      const want = () => {
        const first = Math.min(...read().map((r) => Number(r.ReplayId)));
        return made.filter((m) => m.replayId >= first);
      };
      await waitFor(async () => {
        const got = read().map((r) => Number(r.ReplayId));
        return got.length > 0 && want().every((m) => got.includes(m.replayId));
      }, "every change delivered once the bucket exists");
      const got = read();
      assert.deepEqual(
        got.map((r) => Number(r.ReplayId)).sort((a, b) => a - b),
        want().map((m) => m.replayId),
        "each change exactly once",
      );
      assert.ok(want().length >= 20, "the changes made while the destination was down are among them");
      const runs = await eventRuns(s.client, "ev");
      const ok = runs.filter((r) => r.executionStatus === "Successful");
      assert.equal(
        ok.reduce((n, r) => n + (r.executionResult?.recordsProcessed ?? 0), 0),
        got.length,
        "the Successful runs' counts = what S3 holds",
      );
      for (const r of runs.filter((x) => x.executionStatus === "Error"))
        assert.equal(r.executionResult?.bytesWritten ?? 0, 0, "a failed run wrote nothing");

      // The flow's Event Flow Reports (windows of 500 ms) add up to what the Successful runs delivered.
      const db = s.sluice.app.store.db;
      await waitFor(async () => {
        const rows = await db
          .selectFrom("outbox")
          .select("payload")
          .where("detail_type", "=", "AppFlow Event Flow Report")
          .execute();
        const events = rows.map(
          (r) => JSON.parse(r.payload) as { detail: { "status-report": Record<string, string> } },
        );
        return (
          events.reduce((n, e) => n + Number(e.detail["status-report"]["num-of-events"]), 0) === got.length
        );
      }, "event flow reports covering every delivered change");
    } finally {
      await s.close();
      await fake.stop();
    }
  });

  test("an Event flow refuses a destination where a batch written again would be added twice", async () => {
    const s = await startTestServer("sqlite");
    try {
      await assert.rejects(
        s.client.send(
          new CreateFlowCommand({
            flowName: "ev-rs",
            triggerConfig: { triggerType: "Event" },
            sourceFlowConfig: {
              connectorType: "Salesforce",
              connectorProfileName: "sf",
              sourceConnectorProperties: { Salesforce: { object: "AccountChangeEvent" } },
            },
            destinationFlowConfigList: [
              {
                connectorType: "Redshift",
                connectorProfileName: "rs",
                destinationConnectorProperties: {
                  Redshift: { object: "public.t", intermediateBucketName: "stage" },
                },
              },
            ],
            tasks: [
              { sourceFields: ["Id"], connectorOperator: { Salesforce: "PROJECTION" }, taskType: "Filter" },
            ],
          }),
        ),
        (e: Error) => {
          assert.equal(e.name, "ValidationException");
          assert.match(e.message, /an Event flow can't deliver to Redshift on this server/);
          return true;
        },
      );
    } finally {
      await s.close();
    }
  });
});

for (const backend of ["sqlite", "postgres"] as const)
  describe(`AppFlow Event Flow Report (injected clock, ${backend})`, {
    skip: await pgSkipReason(backend),
  }, () => {
    const I = 300_000;
    const T0 = 1_800_000_000_000 + 10_000; // 10 s into a window
    const B1 = Math.ceil(T0 / I) * I; // the first boundary after activation

    test("one report per window, across two nodes, aggregated from the batch runs that ended in it", async () => {
      const il = new Interleaver();
      const { store, done } = await freshStore(backend, { interleave: il.hook });
      try {
        const flow: FlowRow = {
          account_id: "123456789012",
          flow_name: "ev",
          flow_arn: "arn:aws:appflow:us-east-1:123456789012:flow/ev",
          flow_status: "Active",
          trigger_type: "Event",
          source_type: "Salesforce",
          destination_type: "S3",
          description: null,
          definition: JSON.stringify({
            triggerConfig: { triggerType: "Event" },
            sourceFlowConfig: {
              connectorType: "Salesforce",
              sourceConnectorProperties: { Salesforce: { object: "AccountChangeEvent" } },
            },
            destinationFlowConfigList: [
              {
                connectorType: "S3",
                destinationConnectorProperties: { S3: { bucketName: "out", bucketPrefix: "ev" } },
              },
            ],
            tasks: [],
          }),
          schema_version: 1,
          created_at: T0,
          updated_at: T0,
          created_by: "arn:aws:iam::123456789012:user/alice",
          last_updated_by: "arn:aws:iam::123456789012:user/alice",
          next_fire_at: null,
          last_fired_at: null,
          row_version: 1,
        };
        await insertFlow(store.db, flow);
        assert.ok(await takeSubscription(store.db, store.caps, flow.account_id, "ev", "node-a", T0, 30_000));
        const batch = async (id: string, at: number, status: "Successful" | "Error", records: number) => {
          await store.db.transaction().execute(async (trx) => {
            await insertRun(
              trx,
              store.caps,
              {
                executionId: id,
                accountId: flow.account_id,
                flowName: "ev",
                flowArn: flow.flow_arn,
                triggerType: "Event",
                flowSnapshot: JSON.stringify({ ...JSON.parse(flow.definition), flowName: "ev" }),
                now: at - 100,
              },
              1000,
            );
            await trx
              .updateTable("runs")
              .set({ claimed: 1, lease_owner: "node-a", lease_expires_at: at + 30_000 })
              .where("execution_id", "=", id)
              .execute();
          });
          const counts = {
            recordsProcessed: records,
            recordsWritten: status === "Successful" ? records : 0,
            recordsDropped: 0,
            bytesProcessed: records * 10,
            bytesWritten: 0,
            putFailures: 0,
          };
          await endRun(store.db, id, "node-a", { status, counts }, at);
        };
        const reports = async () =>
          (
            await store.db
              .selectFrom("outbox")
              .select("payload")
              .where("detail_type", "=", "AppFlow Event Flow Report")
              .orderBy("id")
              .execute()
          ).map((r) => JSON.parse(r.payload) as { detail: Record<string, unknown>; resources: string[] });

        await batch("run-a", T0 + 1_000, "Successful", 4);
        await batch("run-b", T0 + 2_000, "Error", 3);
        assert.equal(
          await emitEventFlowReport(store, flow, T0 + 5_000, I),
          false,
          "the window is still open",
        );
        // Two nodes at the boundary (the holder and one that just took the flow over): node a has
        // closed the window and not committed yet when node b tries; one report.
        const held = il.hold("event-flow-report");
        const a = emitEventFlowReport(store, flow, B1 + 10, I);
        const trx = await held.reached;
        const b = tracked(emitEventFlowReport(store, flow, B1 + 20, I));
        await blockedBehind(store, trx, b);
        held.release();
        assert.deepEqual([await a, await b.promise], [true, false]);
        await batch("run-c", B1 + 100, "Successful", 3);
        assert.equal(await emitEventFlowReport(store, flow, B1 + 200, I), false);
        // Nobody reported for three windows (every node down): one report covers the gap.
        assert.equal(await emitEventFlowReport(store, flow, B1 + 3 * I + 5, I), true);

        const [first, second, ...rest] = await reports();
        assert.equal(rest.length, 0);
        assert.deepEqual(first?.resources, [flow.flow_arn]);
        assert.deepEqual(first?.detail, {
          "flow-name": "ev",
          "flow-arn": flow.flow_arn,
          "created-by": flow.created_by,
          source: "Salesforce",
          "source-object": "AccountChangeEvent",
          destination: "S3",
          "destination-object": "out/ev",
          "trigger-type": "EVENT",
          "status-report": {
            "num-of-events": "4",
            "num-of-records-written": "4",
            "num-of-runs": "2",
            "num-of-successful-runs": "1",
            "start-time": new Date(T0).toISOString(),
            "end-time": new Date(B1).toISOString(),
          },
        });
        assert.deepEqual(second?.detail["status-report"], {
          "num-of-events": "3",
          "num-of-records-written": "3",
          "num-of-runs": "1",
          "num-of-successful-runs": "1",
          "start-time": new Date(B1).toISOString(),
          "end-time": new Date(B1 + 3 * I).toISOString(),
        });
      } finally {
        await done();
      }
    });
  });

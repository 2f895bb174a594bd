/**
 * Event-triggered Salesforce flows end to end: a real `sluice serve` process, the fake Salesforce's
 * Change Data Capture over CometD, S3 (the local object store) as destination. Changes made after
 * StartFlow are delivered once each; after SIGKILL and a restart the flow resumes from the stored
 * replay id (changes made while it was down arrive, none twice); StopFlow stops delivery; an expired
 * replay id makes the flow Errored with the reason; two nodes on PostgreSQL deliver each event once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  type AppflowClient,
  DescribeFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  StartFlowCommand,
  StopFlowCommand,
} from "@aws-sdk/client-appflow";
import { type FakeSalesforce, startFakeSalesforce } from "../fakes/salesforce/server.ts";
import { createEventFlow } from "../helpers/event-flows.ts";
import { listLocalObjects, makeBucket } from "../helpers/flows.ts";
import { spawnServer } from "../helpers/process.ts";
import { cleanup, startPeer, startTestServer, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

async function setUp(client: AppflowClient, fake: FakeSalesforce, dataDir: string, flowName: string) {
  makeBucket(dataDir, "out");
  await createEventFlow(client, fake, dataDir, flowName);
}

/** Every record the flow wrote to the local bucket. */
function written(dataDir: string): Record<string, unknown>[] {
  return listLocalObjects(dataDir, "out").flatMap((k) =>
    readFileSync(join(dataDir, "s3", "out", k), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

const replayIds = (dataDir: string) => written(dataDir).map((r) => Number(r.ReplayId));

/** Makes `n` changes (inserts; every third record is updated too) and returns their replay ids. */
function change(fake: FakeSalesforce, n: number, tag: string): number[] {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = fake.insert("Account", { Name: `${tag}-${i}` });
    ids.push(fake.latestReplayId());
    if (i % 3 === 2) {
      fake.update("Account", id, { Name: `${tag}-${i}b` });
      ids.push(fake.latestReplayId());
    }
  }
  return ids;
}

/** Every batch run so far ended Successful (so its replay id is stored). */
async function allSuccessful(client: AppflowClient) {
  const r =
    (await client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "ev" }))).flowExecutions ?? [];
  return r.length > 0 && r.every((x) => x.executionStatus === "Successful") && r;
}

/** Waits until the written replay ids include `want`, then checks each appears exactly once. */
async function delivered(dataDir: string, want: number[], what: string): Promise<void> {
  await waitFor(async () => want.every((id) => replayIds(dataDir).includes(id)), what, 30_000);
  const got = replayIds(dataDir);
  assert.equal(new Set(got).size, got.length, `no event is delivered twice (${got.join(",")})`);
}

describe("Salesforce event flows (SQLite, a real server process)", () => {
  let fake: FakeSalesforce;
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-sfev-"));
  after(async () => {
    await fake?.stop();
    await cleanup(dataDir);
  });

  test("delivers changes after activation once each, resumes after SIGKILL from the stored replay id, stops on StopFlow", async () => {
    fake = await startFakeSalesforce({
      records: { Account: 3, Contact: 0, Opportunity: 0 },
      cometdTimeoutMs: 2_000,
    });
    const env = {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_LEASE_MS: "2000",
      SLUICE_HEARTBEAT_MS: "200",
      SLUICE_REAP_INTERVAL_MS: "500",
      SLUICE_SALESFORCE_EVENT_BATCH_EVENTS: "4",
      SLUICE_SALESFORCE_EVENT_BATCH_MS: "300",
    };
    let subscribed = 0;
    const onLine = (l: string) => {
      if (l.includes("subscribed to the change event channel")) subscribed++;
    };
    let server = await spawnServer([], env, onLine);
    try {
      await setUp(server.client, fake, dataDir, "ev");
      const before = change(fake, 2, "before"); // made before activation: never delivered
      const started = await server.client.send(new StartFlowCommand({ flowName: "ev" }));
      assert.equal(started.flowStatus, "Active");
      await waitFor(async () => subscribed >= 1, "the subscription");
      const first = change(fake, 10, "first");
      await delivered(dataDir, first, "the first changes");
      assert.ok(
        !replayIds(dataDir).some((id) => before.includes(id)),
        "changes before activation are not delivered",
      );
      const runs =
        (await server.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "ev" })))
          .flowExecutions ?? [];
      assert.ok(runs.length >= 3, `batches of at most 4 events are runs (${runs.length})`);
      await waitFor(() => allSuccessful(server.client), "every batch run Successful");

      await server.kill("SIGKILL");
      const whileDown = change(fake, 5, "down");
      subscribed = 0;
      server = await spawnServer([], env, onLine);
      const later = change(fake, 3, "later");
      await delivered(
        dataDir,
        [...first, ...whileDown, ...later],
        "changes made while down and after the restart",
      );
      assert.equal(replayIds(dataDir).length, first.length + whileDown.length + later.length);

      const stopped = await server.client.send(new StopFlowCommand({ flowName: "ev" }));
      assert.equal(stopped.flowStatus, "Suspended");
      const total = replayIds(dataDir).length;
      const whileStopped = change(fake, 2, "stopped");
      subscribed = 0;
      await server.client.send(new StartFlowCommand({ flowName: "ev" }));
      await waitFor(async () => subscribed >= 1, "the new subscription");
      const again = change(fake, 2, "again");
      await delivered(dataDir, again, "changes after reactivation");
      assert.ok(
        !replayIds(dataDir).some((id) => whileStopped.includes(id)),
        "nothing is delivered while stopped",
      );
      assert.equal(replayIds(dataDir).length, total + again.length);
    } finally {
      await server.kill("SIGKILL");
    }
  });

  test("an expired replay id ends the flow Errored, saying why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-sfev-"));
    const f = await startFakeSalesforce({
      records: { Account: 0, Contact: 0, Opportunity: 0 },
      cometdTimeoutMs: 2_000,
    });
    const env = { SLUICE_DATA_DIR: dir, SLUICE_HEARTBEAT_MS: "200", SLUICE_SALESFORCE_EVENT_BATCH_MS: "200" };
    let server = await spawnServer([], env);
    try {
      await setUp(server.client, f, dir, "ev");
      await server.client.send(new StartFlowCommand({ flowName: "ev" }));
      const one: number[] = [];
      await waitFor(async () => {
        // Until the subscriber is on, changes are not delivered: keep making one until one is.
        one.push(...change(f, 1, "x"));
        return replayIds(dir).length > 0;
      }, "a first delivered change");
      await waitFor(() => allSuccessful(server.client), "the batch run Successful");
      await server.kill("SIGKILL");
      change(f, 3, "lost");
      f.expireEvents(1); // the stored replay id falls out of retention
      server = await spawnServer([], env);
      const flow = await waitFor(async () => {
        const d = await server.client.send(new DescribeFlowCommand({ flowName: "ev" }));
        return d.flowStatus === "Errored" && d;
      }, "the flow Errored");
      assert.match(flow.flowStatusMessage ?? "", /replay id \d+ .* no longer retained/);
    } finally {
      await server.kill("SIGKILL");
      await f.stop();
      await cleanup(dir);
    }
  });
});

const pgSkip = await pgSkipReason("postgres");
describe("Salesforce event flows on two PostgreSQL nodes", { skip: pgSkip }, () => {
  test("two nodes deliver each event once; the survivor takes over when the holder stops", async () => {
    const fake = await startFakeSalesforce({
      records: { Account: 0, Contact: 0, Opportunity: 0 },
      cometdTimeoutMs: 2_000,
    });
    const over = {
      engine: { leaseMs: 1_500, heartbeatMs: 200 },
      connectors: { Salesforce: { eventBatchEvents: 3, eventBatchMs: 200 } },
    };
    const a = await startTestServer("postgres", over);
    const b = await startPeer(a, over);
    try {
      await setUp(a.client, fake, a.dataDir, "ev");
      await a.client.send(new StartFlowCommand({ flowName: "ev" }));
      const probe: number[] = [];
      await waitFor(async () => {
        probe.push(...change(fake, 1, "p"));
        return replayIds(a.dataDir).length > 0;
      }, "a first delivered change");
      const firstDelivered = Math.min(...replayIds(a.dataDir));
      const expected = [...probe.filter((id) => id >= firstDelivered), ...change(fake, 9, "both")];
      await delivered(a.dataDir, expected, "changes with two nodes up");
      assert.equal(replayIds(a.dataDir).length, expected.length);
      // Node a stops (not close(): that would drop the shared schema and data dir); b takes its lease over.
      await a.sluice.stop(0);
      a.client.destroy();
      const more = change(fake, 4, "one");
      await delivered(b.dataDir, [...expected, ...more], "changes after a node stopped");
      assert.equal(replayIds(b.dataDir).length, expected.length + more.length);
    } finally {
      await b.close();
      await a.close();
      await fake.stop();
    }
  });
});

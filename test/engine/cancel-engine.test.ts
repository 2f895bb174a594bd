/**
 * Cancellation inside the engine: concurrent cancels end each run once with one end report; the
 * End Flow Run Report reaches a webhook with the counts; a hanging destination is stopped after
 * the grace period; DeleteFlow with forceDelete cancels runs first; cancel latency is exported.
 * Runs go to a PostgreSQL table whose trigger sleeps 50 ms per row: a run is still going when the
 * test acts, however fast the machine (a 200-row batch takes 10 s; the grace period is 300 ms).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  CancelFlowExecutionsCommand,
  DeleteFlowCommand,
  DescribeFlowExecutionRecordsCommand,
  StartFlowCommand,
} from "@aws-sdk/client-appflow";
import { eventsForRun } from "../../src/store/outbox-sql.ts";
import {
  createPgProfile,
  createS3ToPgFlow,
  createSlowTable,
  isTerminal,
  runRecord,
  type TestTable,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

interface Received {
  "detail-type": string;
  detail: Record<string, string>;
}

const skip = await pgSkipReason("postgres");

describe("cancellation in the engine", { skip }, () => {
  let s: TestServer;
  let hook: Server;
  let slow: TestTable;
  const received: Received[] = [];
  const start = async (flowName: string) =>
    (await s.client.send(new StartFlowCommand({ flowName }))).executionId!;
  /** The run is claimed and its COPY is executing in PostgreSQL. */
  const writing = async (flowName: string, id: string, copies = 1) =>
    waitFor(async () => {
      const r = await runRecord(s.client, flowName, id);
      return r?.executionStatus === "InProgress" && (await slow.copiesInFlight()) >= copies;
    }, `run ${id} to be writing`);
  const metric = async (re: RegExp) =>
    Number(re.exec(await (await fetch(`${s.sluice.url}/metrics`)).text())?.[1] ?? 0);
  const slowFlow = (flowName: string) =>
    createS3ToPgFlow(s.client, flowName, {
      inBucket: "inbox",
      prefix: "few",
      profile: "pg",
      table: slow.table,
    });

  before(async () => {
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += String(d);
      });
      req.on("end", () => {
        received.push(JSON.parse(body) as Received);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events`;
    s = await startTestServer("sqlite", {
      webhooks: [url],
      engine: { batchRows: 500, redshiftBatchRows: 200, workers: 6, cancelGraceMs: 300, cancelForceMs: 3000 },
    });
    slow = await createSlowTable(50);
    await writeCsv(s.dataDir, "inbox", "few/data.csv", 1_000);
    await createPgProfile(s.client, "pg");
    await slowFlow("slow");
    await slowFlow("other");
  });
  after(async () => {
    await s?.close();
    hook?.close();
    await slow?.drop();
  });

  test("many concurrent cancels: each run ends Canceled exactly once, with one end report", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await start("slow"));
    const bystander = await start("other"); // another flow's run: no cancel of "slow" may touch it
    const ghost = randomUUID();
    for (const id of ids) await writing("slow", id);
    await writing("other", bystander, 5);
    const calls = Array.from({ length: 20 }, (_, i) =>
      s.client.send(
        new CancelFlowExecutionsCommand({
          flowName: "slow",
          executionIds: i % 2 ? [...ids, ghost, bystander] : undefined,
        }),
      ),
    );
    const results = await Promise.all(calls);
    for (const [i, r] of results.entries()) {
      const invalid = r.invalidExecutions ?? [];
      if (i % 2 === 0) {
        assert.deepEqual(invalid, [], "cancelling all reports nothing invalid");
        continue;
      }
      // Every call names the unknown id and the other flow's run invalid. A run of the flow may be
      // invalid only once a cancel ended it (CancelStarted is accepted again); nothing else may be.
      assert.ok(invalid.includes(ghost), `call ${i}: an unknown id is invalid`);
      assert.ok(invalid.includes(bystander), `call ${i}: another flow's run is invalid`);
      for (const bad of invalid) assert.ok([...ids, ghost, bystander].includes(bad), `call ${i}: ${bad}`);
    }
    for (const id of ids) {
      assert.equal(
        (await waitForRun(s.client, "slow", id, isTerminal, "run to end")).executionStatus,
        "Canceled",
      );
      const ends = (await eventsForRun(s.sluice.app.store.db, id)).filter((e) =>
        e.detail_type.includes("End"),
      );
      assert.equal(ends.length, 1, `one end report for ${id}`);
    }
    assert.equal((await runRecord(s.client, "other", bystander))?.executionStatus, "InProgress");
    await s.client.send(new CancelFlowExecutionsCommand({ flowName: "other" }));
    await waitForRun(s.client, "other", bystander, isTerminal, "the bystander to end");
  });

  test("the End Flow Run Report reaches the webhook, says Canceled and carries the run's counts", async () => {
    const id = await start("slow");
    await writing("slow", id);
    await s.client.send(new CancelFlowExecutionsCommand({ flowName: "slow", executionIds: [id] }));
    const rec = await waitForRun(s.client, "slow", id, isTerminal, "run to end");
    const ev = await waitFor(
      async () =>
        received.find(
          (e) => e["detail-type"] === "AppFlow End Flow Run Report" && e.detail["execution-id"] === id,
        ),
      "the end report at the webhook",
    );
    assert.equal(ev.detail.status, "Execution Canceled");
    assert.ok((rec.executionResult?.recordsProcessed ?? 0) > 0, "the run had read records");
    assert.equal(ev.detail["num-of-records-processed"], String(rec.executionResult?.recordsProcessed));
    assert.equal(ev.detail["data-processed"], String(rec.executionResult?.bytesProcessed));
    assert.equal(ev.detail["flow-name"], "slow");
    const startEv = received.find(
      (e) => e["detail-type"] === "AppFlow Start Flow Run Report" && e.detail["execution-id"] === id,
    );
    assert.ok(startEv, "the start report was delivered too");
  });

  test("cancel latency and webhook deliveries are exported", async () => {
    const latency = /sluice_cancel_latency_seconds_count (\d+)/;
    const delivered = /sluice_webhook_deliveries_total\{result="delivered"\} (\d+)/;
    const [latency0, delivered0] = [await metric(latency), await metric(delivered)];
    const id = await start("slow");
    await writing("slow", id);
    await s.client.send(new CancelFlowExecutionsCommand({ flowName: "slow", executionIds: [id] }));
    await waitForRun(s.client, "slow", id, isTerminal, "run to end");
    await waitFor(async () => (await metric(latency)) === latency0 + 1, "this run's cancel latency");
    // Its start and end reports.
    await waitFor(async () => (await metric(delivered)) >= delivered0 + 2, "this run's reports delivered");
  });

  test("DeleteFlow with forceDelete cancels the runs in progress first and leaves no run behind", async () => {
    await slowFlow("doomed");
    const id = await start("doomed");
    await writing("doomed", id);
    await assert.rejects(
      s.client.send(new DeleteFlowCommand({ flowName: "doomed" })),
      (e: Error) => e.name === "ConflictException",
    );
    await s.client.send(new DeleteFlowCommand({ flowName: "doomed", forceDelete: true }));
    await assert.rejects(
      s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "doomed" })),
      (e: Error) => e.name === "ResourceNotFoundException",
    );
    const ends = (await eventsForRun(s.sluice.app.store.db, id)).filter((e) => e.detail_type.includes("End"));
    assert.equal(ends.length, 1);
    assert.match(ends[0]!.payload, /Execution Canceled/);
  });

  test("a destination that hangs is stopped after the grace period: Canceled, the stuck batch rolled back", async () => {
    const hang = await createSlowTable(60_000); // a minute per row: the first batch never finishes by itself
    try {
      await createS3ToPgFlow(s.client, "hang", {
        inBucket: "inbox",
        prefix: "few",
        profile: "pg",
        table: hang.table,
      });
      const id = await start("hang");
      // Its COPY is executing in PostgreSQL (not merely claimed), and nothing is committed. A run loads
      // over two connections, so a second batch may be stuck beside the first: both must be stopped.
      await waitFor(async () => (await hang.copiesInFlight()) >= 1 && (await hang.count()) === 0, "the COPY");
      await s.client.send(new CancelFlowExecutionsCommand({ flowName: "hang", executionIds: [id] }));
      const done = await waitForRun(s.client, "hang", id, isTerminal, "the hanging run to end", 20_000);
      assert.equal(done.executionStatus, "Canceled");
      assert.equal(await hang.count(), 0);
      await waitFor(async () => (await hang.copiesInFlight()) === 0, "the cancelled COPYs to be gone");
    } finally {
      await hang.drop();
    }
  });
});

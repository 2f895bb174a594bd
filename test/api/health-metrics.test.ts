/** Health endpoints answer without credentials; /metrics shows a run's counters moving. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CancelFlowExecutionsCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import { createS3ToS3Flow, isTerminal, makeBucket, waitForRun, writeCsv } from "../helpers/flows.ts";
import { startTestServer, type TestServer, waitFor } from "../helpers/server.ts";

const metric = (text: string, name: string): number => {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`^${escaped} ([0-9.e+]+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
};

describe("health and metrics", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer("sqlite", { engine: { batchRows: 500 } });
    makeBucket(s.dataDir, "outbox");
    await writeCsv(s.dataDir, "inbox", "big/a.csv", 300_000);
    await createS3ToS3Flow(s.client, "mflow", {
      inBucket: "inbox",
      prefix: "big",
      outBucket: "outbox",
      fileType: "PARQUET",
      singleFile: true,
    });
  });
  after(async () => s.close());

  test("/health/live and /health/ready answer without a signature", async () => {
    const live = await fetch(`${s.sluice.url}/health/live`);
    assert.equal(live.status, 200);
    const ready = await fetch(`${s.sluice.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { store: string }).store, "sqlite");
  });

  test("/metrics shows runs executing and counters moving", async () => {
    const id = (await s.client.send(new StartFlowCommand({ flowName: "mflow" }))).executionId!;
    await waitForRun(
      s.client,
      "mflow",
      id,
      (r) => (r.executionResult?.recordsProcessed ?? 0) > 0,
      "processing",
    );
    const during = await (await fetch(`${s.sluice.url}/metrics`)).text();
    assert.equal(metric(during, "sluice_runs_executing"), 1);
    assert.equal(metric(during, 'sluice_runs{state="executing"}'), 1);
    assert.equal(metric(during, 'sluice_runs{state="queued"}'), 0);
    assert.ok(metric(during, 'sluice_store_query_duration_seconds_count{kind="update"}') > 0);
    assert.equal(metric(during, 'sluice_runs_started_total{flow="mflow",trigger="OnDemand"}'), 1);
    assert.ok(metric(during, 'sluice_api_requests_total{operation="StartFlow",error_type=""}') >= 1);
    await s.client.send(new CancelFlowExecutionsCommand({ flowName: "mflow" }));
    const rec = await waitForRun(s.client, "mflow", id, isTerminal, "end");
    const text = await waitFor(async () => {
      const t = await (await fetch(`${s.sluice.url}/metrics`)).text();
      return metric(t, 'sluice_runs_finished_total{flow="mflow",status="Canceled",trigger="OnDemand"}') === 1
        ? t
        : undefined;
    }, "the finished counter");
    assert.equal(
      metric(text, 'sluice_records_total{flow="mflow",kind="processed"}'),
      rec.executionResult?.recordsProcessed,
    );
    assert.equal(metric(text, "sluice_cancel_latency_seconds_count"), 1);
    assert.ok(!text.includes(id), "execution ids are never labels");
  });
});

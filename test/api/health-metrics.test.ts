/** Health endpoints answer without credentials; /metrics shows a run's counters moving. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CancelFlowExecutionsCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import {
  createGatedTable,
  createPgProfile,
  createS3ToPgFlow,
  isTerminal,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const pgSkip = await pgSkipReason("postgres");

const metric = (text: string, name: string): number => {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`^${escaped} ([0-9.e+]+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
};

describe("health and metrics", () => {
  let s: TestServer;
  let gated: Awaited<ReturnType<typeof createGatedTable>> | undefined;
  before(async () => {
    s = await startTestServer("sqlite", { engine: { batchRows: 200, redshiftBatchRows: 200 } });
    if (pgSkip) return;
    // The first 200-row batch commits, the second is held in flight: the run is executing, with
    // counters moved, for as long as the test looks (not for as long as a big input happens to last).
    gated = await createGatedTable(200);
    await writeCsv(s.dataDir, "inbox", "rows/a.csv", 1_000);
    await createPgProfile(s.client, "pg");
    await createS3ToPgFlow(s.client, "mflow", {
      inBucket: "inbox",
      prefix: "rows",
      profile: "pg",
      table: gated.table,
    });
  });
  after(async () => {
    await s?.close();
    await gated?.drop();
  });

  test("/health/live and /health/ready answer without a signature", async () => {
    const live = await fetch(`${s.sluice.url}/health/live`);
    assert.equal(live.status, 200);
    const ready = await fetch(`${s.sluice.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { store: string }).store, "sqlite");
  });

  test("/metrics shows runs executing and counters moving", { skip: pgSkip }, async () => {
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
    await gated?.open();
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

/**
 * The run lists the API pages over, on both backends: ListFlows' latest run per flow (one index probe
 * per flow) agrees with latestRun() for every flow, ties in the same millisecond included, and never
 * crosses accounts; execution records leave the flow snapshot out.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { flowSummariesPage } from "../../src/store/flows-page.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import { latestRun, listRuns } from "../../src/store/runs/list-runs.ts";
import type { RunsTable } from "../../src/store/schema.ts";
import { backends } from "../helpers/backends.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

const A = "111111111111";
const B = "222222222222";

function run(account: string, flowName: string, executionId: string, createdAt: number): RunsTable {
  return {
    execution_id: executionId,
    account_id: account,
    flow_name: flowName,
    flow_arn: `arn:aws:appflow:us-east-1:${account}:flow/${flowName}`,
    status: "Successful",
    trigger_type: "OnDemand",
    flow_snapshot: JSON.stringify({ flowName, padding: "x".repeat(2000) }),
    created_at: createdAt,
    updated_at: createdAt + 5,
    started_at: createdAt,
    ended_at: createdAt + 5,
    data_pull_start: null,
    data_pull_end: null,
    records_processed: 1,
    records_written: 1,
    records_dropped: 0,
    bytes_processed: 10,
    bytes_written: 10,
    put_failures: 0,
    num_parallel: 1,
    max_page_size: null,
    // Names the run in ListFlows' lastRunExecutionDetails.
    error_message: executionId,
    claimed: 0,
    lease_owner: null,
    lease_expires_at: null,
    cancel_requested_at: null,
    watermark_to: null,
  };
}

for (const backend of backends) {
  describe(`run lists (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("latestRuns agrees with latestRun for every flow, ties and other accounts included", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const t0 = 1_700_000_000_000;
        for (const name of ["busy", "tied", "single", "idle"]) {
          await insertFlow(store.db, flowRow(A, name, t0));
          await insertFlow(store.db, flowRow(B, name, t0));
        }
        const rows: RunsTable[] = [];
        for (let i = 0; i < 300; i++) rows.push(run(A, "busy", `busy-${String(i).padStart(4, "0")}`, t0 + i));
        // Two runs of one flow in the same millisecond: the higher id is the latest, as latestRun orders.
        rows.push(
          run(A, "tied", "tied-a", t0 + 50),
          run(A, "tied", "tied-b", t0 + 50),
          run(A, "tied", "tied-0", t0),
        );
        rows.push(run(A, "single", "single-1", t0 + 7));
        // Another account's runs of flows with the same names, newer than all of A's.
        rows.push(run(B, "busy", "b-busy", t0 + 10_000), run(B, "idle", "b-idle", t0 + 10_000));
        await store.db.insertInto("runs").values(rows).execute();

        const names = ["busy", "tied", "single", "idle"];
        /** Each flow's latest run on a ListFlows page, by the message that names it (see `run`). */
        const latestOn = async (account: string) => {
          const page = JSON.parse(
            `[${(await flowSummariesPage(store.db, store.caps.dialect, account, 10)).items}]`,
          );
          return Object.fromEntries(
            (page as { flowName: string; lastRunExecutionDetails?: { mostRecentExecutionMessage: string } }[])
              .filter((f) => f.lastRunExecutionDetails)
              .map((f) => [f.flowName, f.lastRunExecutionDetails?.mostRecentExecutionMessage]),
          );
        };
        const latest = await latestOn(A);
        for (const name of names) {
          assert.equal(latest[name], (await latestRun(store.db, A, name))?.execution_id, name);
        }
        assert.deepEqual(
          latest,
          { busy: "busy-0299", tied: "tied-b", single: "single-1" },
          "one latest run per flow of account A; a flow without runs has none",
        );
        assert.equal((await latestOn(B)).busy, "b-busy");
      } finally {
        await done();
      }
    });

    test("execution records come newest first, keyset-paged, without the flow snapshot", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const t0 = 1_700_000_000_000;
        await insertFlow(store.db, flowRow(A, "f", t0));
        await store.db
          .insertInto("runs")
          .values(Array.from({ length: 5 }, (_, i) => run(A, "f", `r-${i}`, t0 + i)))
          .execute();
        const first = await listRuns(store.db, A, "f", 3);
        assert.deepEqual(
          first.map((r) => r.execution_id),
          ["r-4", "r-3", "r-2"],
        );
        assert.equal("flow_snapshot" in first[0]!, false);
        const last = first.at(-1)!;
        const next = await listRuns(store.db, A, "f", 3, {
          createdAt: last.created_at,
          executionId: last.execution_id,
        });
        assert.deepEqual(
          next.map((r) => r.execution_id),
          ["r-1", "r-0"],
        );
      } finally {
        await done();
      }
    });
  });
}

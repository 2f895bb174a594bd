/**
 * Incremental windows at the scheduler and the store, on both backends, with no workers (runs stay
 * queued until the test ends them): a tick while a run of the flow is in progress is skipped, and
 * so is one over the concurrent-run quota; the next window starts at the watermark, which only a
 * Successful run moves, so no skipped or failed tick loses source data.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import type { FlowDefinition } from "../../src/domain/flow.ts";
import { createLogger } from "../../src/logger.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import type { Store } from "../../src/store/open-store.ts";
import { claimRun } from "../../src/store/runs/claim-run.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { endRun } from "../../src/store/runs/end-run.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { emptyCounts } from "../../src/store/runs/touch-run.ts";
import { backends } from "../helpers/backends.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2030, 0, 1);
const FROM = START - 24 * HOUR;
const zero = emptyCounts();

async function scheduledFlow(store: Store, name: string) {
  const triggerConfig = {
    triggerType: "Scheduled",
    triggerProperties: {
      Scheduled: {
        scheduleExpression: "rate(1hours)",
        scheduleStartTime: START / 1000,
        dataPullMode: "Incremental",
        firstExecutionFrom: FROM / 1000,
      },
    },
  };
  await insertFlow(store.db, {
    ...flowRow("000000000000", name),
    trigger_type: "Scheduled",
    definition: JSON.stringify({
      triggerConfig,
      sourceFlowConfig: { connectorType: "S3" },
      destinationFlowConfigList: [{ connectorType: "S3" }],
      tasks: [],
    }),
    next_fire_at: START,
  });
}

function scheduler(store: Store, maxActive = 1000) {
  return new Scheduler(
    {
      store,
      log: createLogger("silent"),
      maxActiveRunsPerAccount: maxActive,
      onRun: () => {},
      newId: randomUUID,
    },
    1000,
    Date.now,
  );
}

async function windowOf(store: Store, id: string) {
  const row = await getRun(store.db, id);
  const snap = JSON.parse(row!.flow_snapshot) as FlowDefinition;
  assert.deepEqual(snap.dataPullWindow, { start: row?.data_pull_start, end: row?.data_pull_end });
  return snap.dataPullWindow;
}

async function finish(store: Store, id: string, status: "Successful" | "Error") {
  assert.equal((await claimRun(store.db, store.caps, "w1", Date.now(), 30_000))?.execution_id, id);
  await endRun(store.db, id, "w1", { status, counts: zero }, Date.now());
}

for (const backend of backends) {
  describe(`incremental windows (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("a tick while the flow's run is in progress is skipped; the next window covers it", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await scheduledFlow(store, "inc");
        const s = scheduler(store);
        const [first] = await s.tick(START);
        assert.deepEqual(await windowOf(store, first!), { start: FROM, end: START });
        assert.deepEqual(await s.tick(START + HOUR), [], "skipped: the first run is still in progress");
        await finish(store, first!, "Successful");
        const [second] = await s.tick(START + 2 * HOUR);
        assert.deepEqual(await windowOf(store, second!), { start: START, end: START + 2 * HOUR });
        await finish(store, second!, "Error");
        const [third] = await s.tick(START + 3 * HOUR);
        assert.deepEqual(
          await windowOf(store, third!),
          { start: START, end: START + 3 * HOUR },
          "the failed window is pulled again",
        );
      } finally {
        await done();
      }
    });

    test("a tick over the concurrent-run quota is skipped without losing its window", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await scheduledFlow(store, "inc");
        // Another flow's run holds the account's only concurrent-run slot.
        await insertFlow(store.db, flowRow("000000000000", "blocker"));
        const blocker = await createRun(
          store.db,
          store.caps,
          {
            executionId: randomUUID(),
            accountId: "000000000000",
            flowName: "blocker",
            flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/blocker",
            triggerType: "OnDemand",
            flowSnapshot: JSON.stringify({
              flowName: "blocker",
              sourceFlowConfig: { connectorType: "S3" },
              destinationFlowConfigList: [{ connectorType: "S3" }],
            }),
            now: Date.now(),
          },
          1,
        );
        const s = scheduler(store, 1);
        assert.deepEqual(await s.tick(START), [], "skipped: the account is at its quota");
        await finish(store, blocker.execution_id, "Successful");
        const [next] = await s.tick(START + HOUR);
        assert.deepEqual(
          await windowOf(store, next!),
          { start: FROM, end: START + HOUR },
          "the skipped tick's window is part of the next one",
        );
      } finally {
        await done();
      }
    });
  });
}

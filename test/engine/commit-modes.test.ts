/**
 * The engine's cancel semantics per source commit mode (DESIGN.md §1), with connector definitions made
 * for the test (a gated source, an in-memory destination that records commits):
 * - a batch source (Salesforce Bulk API 2.0) cancelled while a batch is being read: that batch is read
 *   whole, written whole and committed (finish), no other batch is requested, and the run is Canceled;
 * - a streaming source cancelled at the same point: the batch is not written and abort() drops the rest.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConnectorDefinition } from "../../src/connectors/sdk/definition.ts";
import type { CommitMode, FieldValue, RecordBatch, WriteProgress } from "../../src/connectors/types.ts";
import { executeRun } from "../../src/engine/run-executor.ts";
import { RunHandle } from "../../src/engine/run-handle.ts";
import { createLogger } from "../../src/logger.ts";
import type { RunsTable } from "../../src/store/schema.ts";

function world(mode: CommitMode) {
  const requested: number[] = [];
  let gate: (() => void) | undefined;
  let reachedSecond: () => void = () => {};
  const secondRequested = new Promise<void>((r) => {
    reachedSecond = r;
  });
  const committed: FieldValue[][] = [];
  let pending: FieldValue[][] = [];
  const calls: string[] = [];
  const def: ConnectorDefinition = {
    connectorType: "Test",
    description: "test connector",
    source: {
      properties: () => {
        throw new Error("unused");
      },
      operators: ["NO_OP"],
      triggerTypes: ["OnDemand"],
      create: (_cfg, ctx) => ({
        commitMode: mode,
        maxPageSize: 2,
        numParallelProcesses: 1,
        async *read(): AsyncGenerator<RecordBatch> {
          for (let n = 1; n <= 5; n++) {
            // A batch source requests no new batch after a cancel; a streaming one stops at once.
            if (ctx.signal.aborted) return;
            requested.push(n);
            if (n === 2) {
              reachedSecond();
              // The batch in flight: released only after the cancel has been requested.
              await new Promise<void>((r) => {
                gate = r;
              });
              if (mode === "streaming") ctx.signal.throwIfAborted();
            }
            yield { fields: ["n"], rows: [[n * 10], [n * 10 + 1]], bytes: 10 };
          }
        },
      }),
    },
    destination: {
      properties: () => {
        throw new Error("unused");
      },
      writeOperations: ["INSERT"],
      create: (_cfg, ctx) => ({
        async open() {
          const progress = (): WriteProgress => ({
            recordsWritten: committed.length,
            bytesWritten: 0,
            putFailures: 0,
          });
          return {
            commitMode: "streaming" as const,
            async write(batch) {
              ctx.signal.throwIfAborted();
              calls.push("write");
              pending.push(...batch.rows);
              return progress();
            },
            async finish() {
              calls.push("finish");
              committed.push(...pending);
              pending = [];
              return progress();
            },
            async abort() {
              calls.push("abort");
              pending = [];
              return progress();
            },
          };
        },
      }),
    },
  };
  return {
    def,
    requested,
    committed,
    calls,
    secondRequested,
    release: () => gate?.(),
  };
}

function runRow(): RunsTable {
  const flow = {
    flowName: "f",
    flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/f",
    accountId: "000000000000",
    region: "us-east-1",
    triggerConfig: { triggerType: "OnDemand" },
    sourceFlowConfig: { connectorType: "Test", sourceConnectorProperties: {} },
    destinationFlowConfigList: [{ connectorType: "Test", destinationConnectorProperties: {} }],
    tasks: [
      { sourceFields: ["n"], taskType: "Map", destinationField: "n", connectorOperator: { Test: "NO_OP" } },
    ],
    schemaVersion: 1,
  };
  return {
    flow_snapshot: JSON.stringify(flow),
    execution_id: "e",
    created_at: Date.now(),
    account_id: "000000000000",
  } as RunsTable;
}

async function cancelDuringSecondBatch(mode: CommitMode) {
  const w = world(mode);
  const handle = new RunHandle("e", 60_000, 10_000, () => {});
  const running = executeRun(runRow(), handle, {
    env: { dataDir: "/nonexistent", s3: {}, redshiftBatchRows: 1, sourceParallelism: 1, batchRows: 2 },
    log: createLogger("silent"),
    now: Date.now,
    resolveProfile: async () => {
      throw new Error("no profiles here");
    },
    checkpoint: async () => {},
    connectors: (t) => (t === "Test" ? w.def : undefined),
  });
  await w.secondRequested;
  handle.stop("cancel", Date.now());
  w.release();
  const outcome = await running;
  handle.dispose();
  return { ...w, outcome };
}

test("a batch source cancelled mid-batch: that batch is read and written whole, committed, and nothing after it", async () => {
  const r = await cancelDuringSecondBatch("batch");
  assert.equal(r.outcome.status, "Canceled");
  assert.deepEqual(r.requested, [1, 2], "no batch is requested after the cancel");
  assert.deepEqual(r.committed, [[10], [11], [20], [21]]);
  assert.deepEqual(r.calls, ["write", "write", "finish"]);
  assert.equal(r.outcome.counts.recordsProcessed, 4);
  assert.equal(r.outcome.counts.recordsWritten, 4);
});

test("a streaming source cancelled at the same point: the batch in flight is dropped, abort() runs", async () => {
  const r = await cancelDuringSecondBatch("streaming");
  assert.equal(r.outcome.status, "Canceled");
  assert.deepEqual(r.committed, []);
  assert.deepEqual(r.calls.at(-1), "abort");
  assert.ok(!r.calls.includes("finish"));
  assert.equal(r.outcome.counts.recordsWritten, 0);
});

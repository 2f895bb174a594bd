/**
 * Several source objects read and parsed at once produce exactly the records a serial read produces
 * (as a multiset: objects interleave, so only the order across objects may differ), and
 * numParallelProcesses reports the parallelism really used (never more readers than objects).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createS3Source } from "../../src/connectors/s3/s3-source.ts";
import type { RecordBatch } from "../../src/connectors/types.ts";
import type { FlowDefinition } from "../../src/domain/flow.ts";
import { connectorContext } from "../helpers/connector-context.ts";
import { writeCsv } from "../helpers/flows.ts";
import { type Backend, startBackend } from "./s3-backends.ts";

let b: Backend;
before(async () => {
  b = await startBackend("local");
  // Objects of different sizes (so the readers finish at different times), ids disjoint.
  const sizes = [2_500, 40, 1_200, 7_000, 1];
  let id = 1;
  for (const [i, n] of sizes.entries()) {
    await writeCsv(b.dataDir, "par", `in/part-${i}.csv`, n, id);
    id += n;
  }
});
after(() => b.close());

async function readWith(parallelism: number) {
  const flow = {
    flowName: "p",
    sourceFlowConfig: {},
    destinationFlowConfigList: [],
  } as unknown as FlowDefinition;
  const ctx = connectorContext({
    flow,
    executionId: "x",
    startedAt: new Date(),
    env: { ...b.env, batchRows: 500, sourceParallelism: parallelism },
  });
  const src = createS3Source(
    { connectorType: "S3", sourceConnectorProperties: { S3: { bucketName: "par", bucketPrefix: "in" } } },
    ctx,
  );
  const batches: RecordBatch[] = [];
  for await (const batch of src.read()) batches.push(batch);
  const records = batches.flatMap((x) =>
    x.rows.map((r) => JSON.stringify(x.fields.map((f, i) => [f, r[i]]))),
  );
  return { records, bytes: batches.reduce((n, x) => n + x.bytes, 0), used: src.numParallelProcesses };
}

test("parallel reads produce exactly the records of a serial read", async () => {
  const serial = await readWith(1);
  assert.equal(serial.records.length, 2_500 + 40 + 1_200 + 7_000 + 1);
  assert.equal(serial.used, 1);
  for (const p of [2, 4, 16]) {
    const parallel = await readWith(p);
    assert.equal(parallel.used, Math.min(p, 5), `numParallelProcesses with parallelism ${p}`);
    assert.equal(parallel.bytes, serial.bytes, "bytesProcessed");
    assert.deepEqual(
      [...parallel.records].sort(),
      [...serial.records].sort(),
      `records with parallelism ${p}`,
    );
  }
});

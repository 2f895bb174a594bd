/**
 * Run reports across nodes, on both backends: two deliverers (two nodes) on one store deliver each
 * event once — a batch one node is delivering is claimed, the other skips it — and a claim left by
 * a node that died is retaken once it expires.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { describe, test } from "node:test";
import { OutboxDeliverer } from "../../src/engine/outbox-deliverer.ts";
import { createLogger } from "../../src/logger.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import { claimEvents } from "../../src/store/outbox-sql.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { backends } from "../helpers/backends.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

/** A webhook receiver that counts deliveries per event id and can hold its answers. */
async function receiver() {
  const seen = new Map<string, number>();
  let gate: Promise<void> | undefined;
  let open = () => {};
  let firstArrived = () => {};
  const first = new Promise<void>((r) => {
    firstArrived = r;
  });
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += String(d);
    });
    req.on("end", async () => {
      const id = (JSON.parse(body) as { id: string }).id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      firstArrived();
      if (gate) await gate;
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    seen,
    first,
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release: () => open(),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const backend of backends) {
  describe(`outbox claims (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("two nodes deliver each run report once", { skip }, async (t) => {
      const { store, done } = await freshStore(backend);
      const hook = await receiver();
      try {
        await insertFlow(store.db, flowRow("000000000000", "f"));
        for (let i = 0; i < 5; i++) {
          await createRun(
            store.db,
            store.caps,
            {
              executionId: `run-${i}`,
              accountId: "000000000000",
              flowName: "f",
              flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/f",
              triggerType: "OnDemand",
              flowSnapshot: JSON.stringify({
                flowName: "f",
                sourceFlowConfig: { connectorType: "S3" },
                destinationFlowConfigList: [{ connectorType: "S3" }],
              }),
              now: Date.now(),
            },
            1000,
          );
        }
        const log = createLogger("silent");
        const a = new OutboxDeliverer(store, [hook.url], Date.now, log);
        const b = new OutboxDeliverer(store, [hook.url], Date.now, log);
        // Node A is mid-delivery (its first POST is held) while node B runs a whole delivery pass.
        hook.hold();
        const aPass = a.tick();
        await hook.first;
        await b.tick();
        const duringA = [...hook.seen.values()].reduce((x, y) => x + y, 0);
        hook.release();
        await aPass;
        await Promise.all([a.tick(), b.tick()]);
        assert.equal(hook.seen.size, 5, "every start report delivered");
        assert.deepEqual([...hook.seen.values()], [1, 1, 1, 1, 1], "each event once");
        t.diagnostic(
          `deliveries while A held its batch: ${duringA}; total ${[...hook.seen.values()].join(",")}`,
        );
      } finally {
        await hook.close();
        await done();
      }
    });

    test("a dead node's claim is retaken after it expires", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      const hook = await receiver();
      try {
        await insertFlow(store.db, flowRow("000000000000", "f"));
        await createRun(
          store.db,
          store.caps,
          {
            executionId: "orphan",
            accountId: "000000000000",
            flowName: "f",
            flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/f",
            triggerType: "OnDemand",
            flowSnapshot: JSON.stringify({
              flowName: "f",
              sourceFlowConfig: { connectorType: "S3" },
              destinationFlowConfigList: [{ connectorType: "S3" }],
            }),
            now: Date.now(),
          },
          1000,
        );
        const t0 = Date.now();
        // The dead node claimed the event and never delivered it.
        assert.equal((await claimEvents(store.db, store.caps, "dead-node", t0, 60_000, 10)).length, 1);
        let clock = t0 + 1_000;
        const live = new OutboxDeliverer(store, [hook.url], () => clock, createLogger("silent"));
        await live.tick();
        assert.equal(hook.seen.size, 0, "a live claim is respected");
        clock = t0 + 60_001;
        await live.tick();
        assert.deepEqual([...hook.seen.values()], [1], "the expired claim was retaken and delivered");
      } finally {
        await hook.close();
        await done();
      }
    });
  });
}

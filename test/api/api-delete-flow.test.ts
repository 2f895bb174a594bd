/**
 * DeleteFlow with forceDelete deletes only once every run of the flow is terminal: a run whose
 * worker is gone (claimed, its lease still live, so the reaper hasn't ended it yet) stays
 * CancelStarted after the cancel, and the delete answers ConflictException and deletes nothing;
 * once the run is terminal, the delete goes through.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { CreateFlowCommand, DeleteFlowCommand, DescribeFlowCommand } from "@aws-sdk/client-appflow";
import { insertRun } from "../../src/store/runs/create-run.ts";
import { endRun } from "../../src/store/runs/end-run.ts";
import { getRun } from "../../src/store/runs/list-runs.ts";
import { emptyCounts } from "../../src/store/runs/touch-run.ts";
import { backends } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rejectsWith, s3Flow } from "./api-helpers.ts";

const zero = emptyCounts();

for (const backend of backends) {
  describe(`DeleteFlow with forceDelete (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    before(async () => {
      if (skip) return;
      // Short grace and force periods: the delete's wait for the runs to stop is ~5 s.
      s = await startTestServer(backend, { engine: { cancelGraceMs: 100, cancelForceMs: 100 } });
    });
    after(async () => s?.close());

    test("a run still stopping after the wait: Conflict, nothing deleted; terminal: deleted", {
      skip,
    }, async () => {
      await s.client.send(new CreateFlowCommand(s3Flow("held")));
      const { store } = s.sluice.app;
      const id = randomUUID();
      const now = Date.now();
      // A run executing on a node that then died: claimed by a worker that will never answer.
      await store.db.transaction().execute(async (trx) => {
        await insertRun(
          trx,
          store.caps,
          {
            executionId: id,
            accountId: "000000000000",
            flowName: "held",
            flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/held",
            triggerType: "OnDemand",
            flowSnapshot: JSON.stringify({
              flowName: "held",
              sourceFlowConfig: { connectorType: "S3" },
              destinationFlowConfigList: [{ connectorType: "S3" }],
            }),
            now,
          },
          1000,
        );
        await trx
          .updateTable("runs")
          .set({ claimed: 1, lease_owner: "gone", lease_expires_at: now + 3_600_000, started_at: now })
          .where("execution_id", "=", id)
          .execute();
      });
      await rejectsWith(
        s.client.send(new DeleteFlowCommand({ flowName: "held", forceDelete: true })),
        "ConflictException",
        { status: 409, message: /still has 1 run\(s\) stopping/ },
      );
      assert.equal((await getRun(store.db, id))?.status, "CancelStarted", "the run record is kept");
      assert.ok(await s.client.send(new DescribeFlowCommand({ flowName: "held" })), "the flow is kept");
      // The run ends (its worker, or the reaper once the lease expires): now the delete goes through.
      await endRun(store.db, id, "gone", { status: "Canceled", counts: zero }, Date.now());
      await s.client.send(new DeleteFlowCommand({ flowName: "held", forceDelete: true }));
      await rejectsWith(
        s.client.send(new DescribeFlowCommand({ flowName: "held" })),
        "ResourceNotFoundException",
      );
      assert.equal(await getRun(store.db, id), undefined);
    });
  });
}

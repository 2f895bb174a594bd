/**
 * clientToken idempotency on CreateFlow and StartFlow (same token + same request → the first result;
 * same token + different request → ConflictException), and concurrent CreateFlow of one name: exactly
 * one wins, the others are ConflictException (never a 5xx, never two flows).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AppflowClient,
  CreateFlowCommand,
  type CreateFlowRequest,
  DescribeFlowCommand,
  ListFlowsCommand,
  StartFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { copyTasks, isTerminal, makeBucket, records, waitForRun, writeCsv } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rejectsWith } from "./api-helpers.ts";

const flow = (flowName: string, over: Partial<CreateFlowRequest> = {}): CreateFlowRequest => ({
  flowName,
  triggerConfig: { triggerType: "OnDemand" },
  sourceFlowConfig: {
    connectorType: "S3",
    sourceConnectorProperties: {
      S3: { bucketName: "idem-in", bucketPrefix: "rows", s3InputFormatConfig: { s3InputFileType: "CSV" } },
    },
  },
  destinationFlowConfigList: [
    { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "idem-out" } } },
  ],
  tasks: copyTasks(),
  ...over,
});

for (const backend of backends) {
  describe(`clientToken and concurrency (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    // No retries: a retried 5xx must not hide behind a later success.
    let once: AppflowClient;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      once = new AppflowClient({
        endpoint: s.sluice.url,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: 1,
      });
      makeBucket(s.dataDir, "idem-out");
      await writeCsv(s.dataDir, "idem-in", "rows/data.csv", 5);
    });
    after(async () => {
      once?.destroy();
      await s?.close();
    });

    test("CreateFlow: same token and request → same result; different request → Conflict", {
      skip,
    }, async () => {
      const req = flow("idem-create", { clientToken: "token-create-1", description: "v1" });
      const first = await s.client.send(new CreateFlowCommand(req));
      const again = await s.client.send(new CreateFlowCommand(req));
      assert.equal(again.flowArn, first.flowArn);
      assert.equal(again.flowStatus, first.flowStatus);
      await rejectsWith(
        s.client.send(new CreateFlowCommand({ ...req, description: "v2" })),
        "ConflictException",
        { status: 409, message: /clientToken/ },
      );
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "idem-create" }));
      assert.equal(d.description, "v1");
      // Without the token, the existing name is a plain conflict.
      await rejectsWith(
        s.client.send(new CreateFlowCommand({ ...req, clientToken: undefined })),
        "ConflictException",
      );
      const names = ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).map((f) => f.flowName);
      assert.equal(names.filter((n) => n === "idem-create").length, 1);
    });

    test("StartFlow: same token → the same run, once; a new token → a new run", { skip }, async () => {
      await s.client.send(new CreateFlowCommand(flow("idem-start")));
      await s.client.send(new CreateFlowCommand(flow("idem-other")));
      const a = await s.client.send(new StartFlowCommand({ flowName: "idem-start", clientToken: "run-1" }));
      const b = await s.client.send(new StartFlowCommand({ flowName: "idem-start", clientToken: "run-1" }));
      assert.equal(b.executionId, a.executionId);
      await waitForRun(s.client, "idem-start", a.executionId!, isTerminal, "run");
      // Still the same answer after the run ended, and still one run.
      const c = await s.client.send(new StartFlowCommand({ flowName: "idem-start", clientToken: "run-1" }));
      assert.equal(c.executionId, a.executionId);
      assert.deepEqual(
        (await records(s.client, "idem-start")).map((r) => r.executionId),
        [a.executionId],
      );
      await rejectsWith(
        s.client.send(new StartFlowCommand({ flowName: "idem-other", clientToken: "run-1" })),
        "ConflictException",
        { status: 409 },
      );
      assert.deepEqual(await records(s.client, "idem-other"), []);
      const d = await s.client.send(new StartFlowCommand({ flowName: "idem-start", clientToken: "run-2" }));
      assert.notEqual(d.executionId, a.executionId);
      await waitForRun(s.client, "idem-start", d.executionId!, isTerminal, "second run");
      assert.equal((await records(s.client, "idem-start")).length, 2);
    });

    test("10 concurrent CreateFlow of one name: exactly one wins, the rest ConflictException", {
      skip,
    }, async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          once.send(new CreateFlowCommand(flow("raced", { description: `writer ${i}` }))),
        ),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.equal(won.length, 1, `winners: ${won.length}`);
      for (const r of lost) {
        const e = r.reason as { name: string; message: string };
        assert.equal(e.name, "ConflictException", e.message);
      }
      const listed = ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).filter(
        (f) => f.flowName === "raced",
      );
      assert.equal(listed.length, 1);
      const d = await s.client.send(new DescribeFlowCommand({ flowName: "raced" }));
      assert.match(d.description ?? "", /^writer \d$/);
    });

    test("10 concurrent CreateFlow with one clientToken all get the one result", { skip }, async () => {
      const req = flow("raced-token", { clientToken: "same-token-for-all" });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => once.send(new CreateFlowCommand(req))),
      );
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.deepEqual(
        failed.map((r) => `${(r.reason as Error).name}: ${(r.reason as Error).message}`),
        [],
      );
      const arns = new Set(
        results.map((r) => (r as PromiseFulfilledResult<{ flowArn?: string }>).value.flowArn),
      );
      assert.deepEqual([...arns], ["arn:aws:appflow:us-east-1:000000000000:flow/raced-token"]);
    });
  });
}

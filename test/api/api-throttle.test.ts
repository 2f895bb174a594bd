/**
 * Throttling through the SDK: with a tiny rate for one operation, a client that doesn't retry sees
 * 429 ThrottlingException; the SDK's standard retry strategy backs off and gets through. Buckets are
 * per account and per operation.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { AppflowClient, DescribeConnectorsCommand, ListFlowsCommand } from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { writeCredentialsFile } from "./api-helpers.ts";

const client = (endpoint: string, accessKeyId: string, maxAttempts: number) =>
  new AppflowClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey: `${accessKeyId}-secret` },
    maxAttempts,
    retryMode: "standard",
  });

for (const backend of backends) {
  describe(`throttling (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    const creds = writeCredentialsFile([
      { accessKeyId: "a", secretAccessKey: "a-secret", accountId: "444444444444" },
      { accessKeyId: "b", secretAccessKey: "b-secret", accountId: "555555555555" },
    ]);
    let s: TestServer;
    const clients: AppflowClient[] = [];
    const make = (key: string, maxAttempts: number) => {
      const c = client(s.sluice.url, key, maxAttempts);
      clients.push(c);
      return c;
    };
    before(async () => {
      if (skip) return;
      // One token, refilled once a second: back-to-back calls are throttled, and a call right after a
      // throttled one is too unless the process stalls for a whole second. The SDK backs off from a
      // ThrottlingException for up to 0.5 s × 2^attempt (full jitter), so six attempts reach a token.
      s = await startTestServer(backend, {
        credentialsFile: creds.file,
        throttle: { overrides: { ListFlows: { rate: 1, burst: 1 } } },
      });
    });
    after(async () => {
      for (const c of clients) c.destroy();
      await s?.close();
      rmSync(creds.dir, { recursive: true, force: true });
    });

    test("without retries, calls over the rate get 429 ThrottlingException", { skip }, async () => {
      const once = make("a", 1);
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => once.send(new ListFlowsCommand({}))),
      );
      const throttled = results.filter((r) => r.status === "rejected");
      assert.ok(
        results.some((r) => r.status === "fulfilled"),
        "the burst lets one through",
      );
      assert.ok(throttled.length >= 1, "calls beyond the burst are refused");
      for (const r of throttled) {
        const e = (r as PromiseRejectedResult).reason as {
          name: string;
          $metadata?: { httpStatusCode?: number };
        };
        assert.equal(e.name, "ThrottlingException");
        assert.equal(e.$metadata?.httpStatusCode, 429);
      }
      // Other operations and other accounts have their own buckets.
      await once.send(new DescribeConnectorsCommand({}));
      await make("b", 1).send(new ListFlowsCommand({}));
    });

    test("the standard retry strategy backs off and succeeds", { skip }, async () => {
      const once = make("a", 1);
      const retrying = make("a", 6);
      // Drain the bucket until a call is refused, then call at once: the first attempt is throttled, a
      // backed-off one gets through.
      for (;;) {
        const [r] = await Promise.allSettled([once.send(new ListFlowsCommand({}))]);
        if (r?.status === "rejected") break;
      }
      const out = await retrying.send(new ListFlowsCommand({}));
      assert.deepEqual(out.flows ?? [], []);
      assert.ok((out.$metadata.attempts ?? 1) > 1, `retried (attempts: ${out.$metadata.attempts})`);
    });
  });
}

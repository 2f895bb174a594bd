/**
 * ListFlows and DescribeFlowExecutionRecords pages (maxResults + nextToken): every item exactly once,
 * in a stable order, and a token that stays correct while new flows are created and new runs start.
 * (DescribeConnectorProfiles pages are covered in api-profiles.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type AppflowClient,
  DescribeFlowExecutionRecordsCommand,
  ListFlowsCommand,
  type ListFlowsCommandOutput,
  StartFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { createS3ToS3Flow, isTerminal, makeBucket, records, waitForRun, writeCsv } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rejectsWith } from "./api-helpers.ts";

const flowNames = async (client: AppflowClient) =>
  ((await client.send(new ListFlowsCommand({ maxResults: 100 }))).flows ?? []).map((f) => f.flowName!);

for (const backend of backends) {
  describe(`pagination (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    const newFlow = (name: string) =>
      createS3ToS3Flow(s.client, name, { inBucket: "pages-in", prefix: "rows", outBucket: "pages-out" });
    const start = async (flowName: string) =>
      (await s.client.send(new StartFlowCommand({ flowName }))).executionId!;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      makeBucket(s.dataDir, "pages-out");
      await writeCsv(s.dataDir, "pages-in", "rows/data.csv", 3);
    });
    after(async () => s?.close());

    test("ListFlows pages cover every flow once; a token holds while flows are added", { skip }, async () => {
      for (const n of ["f-b", "f-d", "f-f", "f-h", "f-j", "f-l", "f-n"]) await newFlow(n);
      const all = await flowNames(s.client);
      assert.equal(all.length, 7);
      const first = await s.client.send(new ListFlowsCommand({ maxResults: 3 }));
      assert.deepEqual(
        first.flows?.map((f) => f.flowName),
        all.slice(0, 3),
      );
      assert.ok(first.nextToken);
      // A flow that sorts before the cursor and one after it: the first is not repeated on later
      // pages, the second appears in its place.
      await newFlow("f-a");
      await newFlow("f-m");
      const rest: string[] = [];
      let token: string | undefined = first.nextToken;
      let pages = 1;
      while (token) {
        const page: ListFlowsCommandOutput = await s.client.send(
          new ListFlowsCommand({ maxResults: 3, nextToken: token }),
        );
        assert.ok((page.flows?.length ?? 0) <= 3);
        rest.push(...(page.flows ?? []).map((f) => f.flowName!));
        token = page.nextToken;
        assert.ok(++pages < 20, "pagination ends");
      }
      const now = await flowNames(s.client);
      assert.deepEqual(rest, now.slice(now.indexOf(all[2]!) + 1), "later pages continue after the cursor");
      assert.ok(rest.includes("f-m"));
      assert.ok(!rest.includes("f-a"));
      const exact = await s.client.send(new ListFlowsCommand({ maxResults: 9 }));
      assert.equal(exact.flows?.length, 9);
      assert.equal(exact.nextToken, undefined, "no token when nothing is left");
    });

    test("DescribeFlowExecutionRecords pages newest first; the token holds while runs start", {
      skip,
    }, async () => {
      await newFlow("paged-runs");
      // Some runs started together, so that several share a creation time.
      const started = [await start("paged-runs"), await start("paged-runs")];
      started.push(...(await Promise.all([1, 2, 3, 4].map(() => start("paged-runs")))));
      const full = (await records(s.client, "paged-runs")).map((r) => r.executionId!);
      assert.deepEqual([...full].sort(), [...started].sort());
      const page = (nextToken?: string) =>
        s.client.send(
          new DescribeFlowExecutionRecordsCommand({ flowName: "paged-runs", maxResults: 2, nextToken }),
        );
      const seen: string[] = [];
      let res = await page();
      seen.push(...(res.flowExecutions ?? []).map((r) => r.executionId!));
      const newer: string[] = [];
      while (res.nextToken) {
        newer.push(await start("paged-runs"));
        res = await page(res.nextToken);
        assert.ok((res.flowExecutions?.length ?? 0) <= 2);
        seen.push(...(res.flowExecutions ?? []).map((r) => r.executionId!));
      }
      assert.deepEqual(seen, full, "each run once, in the order of the first listing, none of the new ones");
      const latest = await records(s.client, "paged-runs");
      assert.deepEqual(
        latest
          .slice(0, newer.length)
          .map((r) => r.executionId)
          .sort(),
        [...newer].sort(),
        "new runs are listed first",
      );
      const times = latest.map((r) => r.startedAt!.getTime());
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      for (const id of [...full, ...newer]) await waitForRun(s.client, "paged-runs", id, isTerminal, "run");
    });

    test("a flow without runs has an empty first page and no token", { skip }, async () => {
      await newFlow("no-runs");
      const res = await s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "no-runs" }));
      assert.deepEqual(res.flowExecutions ?? [], []);
      assert.equal(res.nextToken, undefined);
    });

    test("maxResults outside 1..100 and foreign tokens are ValidationException", { skip }, async () => {
      for (const maxResults of [0, 101]) {
        await rejectsWith(s.client.send(new ListFlowsCommand({ maxResults })), "ValidationException", {
          status: 400,
          message: /maxResults/,
        });
        await rejectsWith(
          s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "no-runs", maxResults })),
          "ValidationException",
          { message: /maxResults/ },
        );
      }
      for (const nextToken of ["garbage", Buffer.from('{"v":1,"n":5}').toString("base64url")]) {
        await rejectsWith(s.client.send(new ListFlowsCommand({ nextToken })), "ValidationException", {
          message: /nextToken/,
        });
      }
      // A ListFlows token is not a DescribeFlowExecutionRecords token.
      const token = (await s.client.send(new ListFlowsCommand({ maxResults: 1 }))).nextToken;
      await rejectsWith(
        s.client.send(new DescribeFlowExecutionRecordsCommand({ flowName: "no-runs", nextToken: token })),
        "ValidationException",
        { message: /nextToken/ },
      );
    });
  });
}

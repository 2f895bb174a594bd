/**
 * TagResource / UntagResource / ListTagsForResource with the ARN in the path (the SDK encodes it;
 * one raw request checks the path binding directly), and the tag rules: no `aws:` prefix, at most 50.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateFlowCommand,
  DeleteFlowCommand,
  DescribeFlowCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { copyTasks, createPgProfile } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rawRequest, rejectsWith } from "./api-helpers.ts";

const ACCOUNT = "000000000000";
const flowArn = (name: string) => `arn:aws:appflow:us-east-1:${ACCOUNT}:flow/${name}`;

const createFlow = (s: TestServer, flowName: string, tags?: Record<string, string>) =>
  s.client.send(
    new CreateFlowCommand({
      flowName,
      tags,
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: { S3: { bucketName: "inbox" } } },
      destinationFlowConfigList: [
        { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "outbox" } } },
      ],
      tasks: copyTasks(),
    }),
  );

for (const backend of backends) {
  describe(`tags (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    const pgSkip = await pgSkipReason("postgres");
    let s: TestServer;
    const tagsOf = async (resourceArn: string) =>
      (await s.client.send(new ListTagsForResourceCommand({ resourceArn }))).tags;
    before(async () => {
      if (!skip) s = await startTestServer(backend);
    });
    after(async () => s?.close());

    test("tag, list, retag and untag a flow", { skip }, async () => {
      await createFlow(s, "tagged", { team: "data" });
      const arn = flowArn("tagged");
      assert.deepEqual(await tagsOf(arn), { team: "data" });
      await s.client.send(new TagResourceCommand({ resourceArn: arn, tags: { env: "prod", team: "ops" } }));
      assert.deepEqual(await tagsOf(arn), { env: "prod", team: "ops" });
      await s.client.send(
        new TagResourceCommand({ resourceArn: arn, tags: { "cost/center": "42", "a.b:c": "x y" } }),
      );
      await s.client.send(
        new UntagResourceCommand({ resourceArn: arn, tagKeys: ["team", "cost/center", "not-there"] }),
      );
      assert.deepEqual(await tagsOf(arn), { "a.b:c": "x y", env: "prod" });
      assert.deepEqual((await s.client.send(new DescribeFlowCommand({ flowName: "tagged" }))).tags, {
        "a.b:c": "x y",
        env: "prod",
      });
      await s.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [] }));
      assert.deepEqual(await tagsOf(arn), { "a.b:c": "x y", env: "prod" });
    });

    test("the ARN is a single percent-encoded path segment", { skip }, async () => {
      await createFlow(s, "raw-path", { k: "v" });
      const path = `/tags/${encodeURIComponent(flowArn("raw-path"))}`;
      const listed = await rawRequest(s.sluice.url, { method: "GET", path });
      assert.equal(listed.status, 200, listed.body);
      assert.deepEqual(JSON.parse(listed.body), { tags: { k: "v" } });
      const untag = await rawRequest(s.sluice.url, { method: "DELETE", path, query: { tagKeys: ["k"] } });
      assert.equal(untag.status, 200, untag.body);
      assert.deepEqual(await tagsOf(flowArn("raw-path")), {});
    });

    test("a missing or foreign resource is ResourceNotFoundException", { skip }, async () => {
      for (const resourceArn of [
        flowArn("no-such-flow"),
        "arn:aws:appflow:us-east-1:999999999999:flow/tagged",
        `arn:aws:appflow:us-east-1:${ACCOUNT}:connectorprofile/no-such-profile`,
      ]) {
        await rejectsWith(
          s.client.send(new ListTagsForResourceCommand({ resourceArn })),
          "ResourceNotFoundException",
          {
            status: 404,
          },
        );
        await rejectsWith(
          s.client.send(new TagResourceCommand({ resourceArn, tags: { a: "b" } })),
          "ResourceNotFoundException",
        );
        await rejectsWith(
          s.client.send(new UntagResourceCommand({ resourceArn, tagKeys: ["a"] })),
          "ResourceNotFoundException",
        );
      }
    });

    test("an ARN that is not an AppFlow ARN is 4xx", { skip }, async () => {
      await rejectsWith(
        s.client.send(new ListTagsForResourceCommand({ resourceArn: "not-an-arn" })),
        "ValidationException",
        { status: 400, message: /resourceArn/ },
      );
    });

    test("tag keys starting with aws: are refused, and nothing changes", { skip }, async () => {
      await createFlow(s, "reserved", { keep: "me" });
      const arn = flowArn("reserved");
      await rejectsWith(
        s.client.send(new TagResourceCommand({ resourceArn: arn, tags: { ok: "1", "aws:owner": "me" } })),
        "ValidationException",
        { status: 400, message: /tags.*aws:/ },
      );
      assert.deepEqual(await tagsOf(arn), { keep: "me" });
      await rejectsWith(createFlow(s, "reserved-2", { "aws:x": "y" }), "ValidationException", {
        message: /tags/,
      });
      await rejectsWith(
        s.client.send(new DescribeFlowCommand({ flowName: "reserved-2" })),
        "ResourceNotFoundException",
      );
    });

    test("more than 50 tags are refused, in one request or in total", { skip }, async () => {
      const many = (n: number, prefix: string) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, String(i)]));
      await createFlow(s, "crowded");
      const arn = flowArn("crowded");
      await rejectsWith(
        s.client.send(new TagResourceCommand({ resourceArn: arn, tags: many(51, "k") })),
        "ValidationException",
        { status: 400, message: /tags/ },
      );
      assert.deepEqual(await tagsOf(arn), {});
      await s.client.send(new TagResourceCommand({ resourceArn: arn, tags: many(30, "a") }));
      await rejectsWith(
        s.client.send(new TagResourceCommand({ resourceArn: arn, tags: many(21, "b") })),
        "ValidationException",
        { message: /50/ },
      );
      assert.equal(Object.keys((await tagsOf(arn)) ?? {}).length, 30);
      // Overwriting existing keys doesn't add tags, so it stays within the limit.
      await s.client.send(
        new TagResourceCommand({ resourceArn: arn, tags: { ...many(20, "a"), ...many(20, "b") } }),
      );
      assert.equal(Object.keys((await tagsOf(arn)) ?? {}).length, 50);
      await rejectsWith(createFlow(s, "crowded-2", many(51, "t")), "ValidationException", {
        message: /tags/,
      });
    });

    test("a deleted flow's tags don't come back with a new flow of the same name", { skip }, async () => {
      await createFlow(s, "reborn", { old: "tag" });
      await s.client.send(new DeleteFlowCommand({ flowName: "reborn" }));
      await createFlow(s, "reborn");
      assert.deepEqual(await tagsOf(flowArn("reborn")), {});
    });

    test("connector profiles are tagged by their ARN", { skip: skip ?? pgSkip }, async () => {
      await createPgProfile(s.client, "tagged-profile");
      const arn = `arn:aws:appflow:us-east-1:${ACCOUNT}:connectorprofile/tagged-profile`;
      assert.deepEqual(await tagsOf(arn), {});
      await s.client.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: "bi" } }));
      assert.deepEqual(await tagsOf(arn), { owner: "bi" });
      await s.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["owner"] }));
      assert.deepEqual(await tagsOf(arn), {});
    });
  });
}

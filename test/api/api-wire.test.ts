/**
 * The wire, below the SDK: signature failures (raw requests signed with @smithy/signature-v4, or not
 * at all) change nothing; malformed bodies and unknown paths are 4xx AppFlow-style errors, never 5xx;
 * every response carries x-amzn-RequestId and every error x-amzn-ErrorType.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ListFlowsCommand } from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { copyTasks } from "../helpers/flows.ts";
import { appflowClient, startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { assertAwsError, rawRequest, rejectsWith } from "./api-helpers.ts";

const flowBody = (flowName: string) =>
  JSON.stringify({
    flowName,
    triggerConfig: { triggerType: "OnDemand" },
    sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: { S3: { bucketName: "inbox" } } },
    destinationFlowConfigList: [
      { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: "outbox" } } },
    ],
    tasks: copyTasks(),
  });

for (const backend of backends) {
  describe(`wire protocol: signatures and malformed requests (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    const flowNames = async () =>
      ((await s.client.send(new ListFlowsCommand({}))).flows ?? []).map((f) => f.flowName);
    before(async () => {
      if (!skip) s = await startTestServer(backend);
    });
    after(async () => s?.close());

    test("a correctly signed raw request succeeds and carries a request id", { skip }, async () => {
      const ok = await rawRequest(s.sluice.url, { path: "/create-flow", body: flowBody("signed") });
      assert.equal(ok.status, 200, ok.body);
      assert.ok(ok.headers["x-amzn-requestid"]);
      assert.match(JSON.parse(ok.body).flowArn, /:flow\/signed$/);
      const again = await rawRequest(s.sluice.url, { path: "/list-flows", body: "{}" });
      assert.equal(again.status, 200);
      assert.notEqual(again.headers["x-amzn-requestid"], ok.headers["x-amzn-requestid"]);
    });

    test("a wrong secret is 403 and the request does nothing", { skip }, async () => {
      const res = await rawRequest(s.sluice.url, {
        path: "/create-flow",
        body: flowBody("forged"),
        sign: { accessKeyId: "test", secretAccessKey: "not-the-secret" },
      });
      const msg = assertAwsError(res, 403, "InvalidSignatureException");
      assert.doesNotMatch(msg, /not-the-secret/);
      assert.ok(!(await flowNames()).includes("forged"));
      // The SDK sees the same error, by name.
      const bad = appflowClient(s.sluice.url, "test", "wrong");
      try {
        await rejectsWith(bad.send(new ListFlowsCommand({})), "InvalidSignatureException", { status: 403 });
      } finally {
        bad.destroy();
      }
    });

    test("a body changed after signing is rejected and nothing changes", { skip }, async () => {
      const good = flowBody("tampered");
      const res = await rawRequest(s.sluice.url, {
        path: "/create-flow",
        body: good,
        headers: { "x-amz-content-sha256": "0".repeat(64) },
      });
      assert.equal(res.status, 403);
      assert.ok(res.headers["x-amzn-errortype"]);
      assert.ok(!(await flowNames()).includes("tampered"));
    });

    test("an unknown access key is 403 UnrecognizedClientException", { skip }, async () => {
      const res = await rawRequest(s.sluice.url, {
        path: "/create-flow",
        body: flowBody("stranger"),
        sign: { accessKeyId: "AKIANOBODY", secretAccessKey: "x" },
      });
      assertAwsError(res, 403, "UnrecognizedClientException");
      assert.ok(!(await flowNames()).includes("stranger"));
    });

    test("a missing Authorization header is 403", { skip }, async () => {
      const res = await rawRequest(s.sluice.url, {
        path: "/create-flow",
        body: flowBody("anon"),
        sign: false,
      });
      assertAwsError(res, 403, "MissingAuthenticationTokenException");
      assert.ok(!(await flowNames()).includes("anon"));
    });

    test("a malformed Authorization header is 400", { skip }, async () => {
      for (const authorization of [
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256 Credential=test/2024/us-east-1/appflow, SignedHeaders=host, Signature=00",
        "Basic dGVzdDp0ZXN0",
      ]) {
        const res = await rawRequest(s.sluice.url, {
          path: "/create-flow",
          body: flowBody("malformed"),
          sign: false,
          headers: { authorization, "x-amz-date": "20240101T000000Z" },
        });
        assertAwsError(res, 400, "IncompleteSignatureException");
      }
      assert.ok(!(await flowNames()).includes("malformed"));
    });

    test("a body that is not JSON, or not a JSON object, is 400 ValidationException", { skip }, async () => {
      for (const body of ["{not json", "[1,2,3]", "null", '"a string"', "42", "\u0000\u0001"]) {
        const res = await rawRequest(s.sluice.url, { path: "/create-flow", body });
        const msg = assertAwsError(res, 400, "ValidationException");
        assert.doesNotMatch(msg, /at .*\.ts:\d+|SyntaxError/, "no internals in the message");
      }
    });

    test("members of the wrong type are 400 ValidationException naming the member, never 5xx", {
      skip,
    }, async () => {
      const cases: [string, unknown, RegExp][] = [
        ["/describe-flow", { flowName: { nested: true } }, /flowName/],
        ["/describe-flow", { flowName: 42 }, /flowName/],
        ["/describe-flow", {}, /flowName/],
        ["/list-flows", { maxResults: "ten" }, /maxResults/],
        ["/cancel-flow-executions", { flowName: "signed", executionIds: "abc" }, /executionIds/],
        ["/start-flow", { flowName: ["a"] }, /flowName/],
      ];
      for (const [path, body, member] of cases) {
        const res = await rawRequest(s.sluice.url, { path, body: JSON.stringify(body) });
        assert.ok(res.status < 500, `${path} ${JSON.stringify(body)} answered ${res.status} ${res.body}`);
        assert.match(assertAwsError(res, 400, "ValidationException"), member);
      }
    });

    test("an unknown path or a wrong method is 4xx with an AppFlow error, never 5xx", { skip }, async () => {
      for (const [method, path] of [
        ["POST", "/no-such-operation"],
        ["GET", "/list-flows"],
        ["POST", "/"],
        ["PUT", "/tags/arn%3Aaws%3Aappflow%3Aus-east-1%3A000000000000%3Aflow%2Fx"],
        ["POST", "/tags/%E0%A4%A"],
      ] as const) {
        const res = await rawRequest(s.sluice.url, { method, path, body: "{}" });
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} answered ${res.status}`);
        assert.ok(res.headers["x-amzn-errortype"], "x-amzn-ErrorType is set");
        assert.ok(res.headers["x-amzn-requestid"]);
        assert.equal(typeof JSON.parse(res.body).message, "string");
      }
    });

    test("a body over the size limit is 4xx", { skip }, async () => {
      const body = JSON.stringify({ flowName: "big", description: "x".repeat(7 * 1024 * 1024) });
      const res = await rawRequest(s.sluice.url, { path: "/create-flow", body });
      assert.ok(res.status >= 400 && res.status < 500, `answered ${res.status}`);
      assert.ok(!(await flowNames()).includes("big"));
    });
  });
}

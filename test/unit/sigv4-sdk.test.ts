/**
 * The real @aws-sdk/client-appflow talks to a throwaway capture server on 127.0.0.1:0; each request exactly as
 * it arrived on the wire (raw path, raw query, Node's header object, body) is then fed to verifySigV4.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import {
  AppflowClient,
  ListTagsForResourceCommand,
  StartFlowCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-appflow";
import { createCredentialStore } from "../../src/api/protocol/credentials.ts";
import { type SignedRequest, verifySigV4 } from "../../src/api/protocol/sigv4-verify.ts";
import { AuthenticationError } from "../../src/domain/errors.ts";

const store = createCredentialStore(
  { keys: [{ accessKeyId: "AKIASDKTEST", secretAccessKey: "sdk/secret+key", accountId: "111122223333" }] },
  "inline",
);
const arn = "arn:aws:appflow:us-west-2:111122223333:flow/Nightly_Sync-01";
const captured: SignedRequest[] = [];
const server = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    captured.push({
      method: req.method ?? "GET",
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? "" : url.slice(q + 1),
      headers: req.headers,
      body: Buffer.concat(chunks),
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
let client: AppflowClient;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  client = new AppflowClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-west-2",
    credentials: { accessKeyId: "AKIASDKTEST", secretAccessKey: "sdk/secret+key" },
    maxAttempts: 1,
  });
});
after(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function capture(send: () => Promise<unknown>): Promise<SignedRequest> {
  captured.length = 0;
  await send();
  assert.equal(captured.length, 1);
  return captured[0]!;
}

test("JS SDK POST with a JSON body verifies", async () => {
  const req = await capture(() => client.send(new StartFlowCommand({ flowName: "nightly" })));
  assert.equal(req.path, "/start-flow");
  const auth = String(req.headers.authorization);
  for (const h of [
    "host",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
  ]) {
    assert.match(auth, new RegExp(`SignedHeaders=[^,]*\\b${h}\\b`), `JS SDK should sign ${h}`);
  }
  const { credential, region } = await verifySigV4(req, store.lookup, new Date());
  assert.equal(credential.accountId, "111122223333");
  assert.equal(region, "us-west-2");

  // Same request, body swapped after signing: caught by the x-amz-content-sha256 check.
  await assert.rejects(
    verifySigV4({ ...req, body: Buffer.from('{"flowName":"other"}') }, store.lookup, new Date()),
    (err: unknown) => err instanceof AuthenticationError && err.code === "InvalidSignatureException",
  );
});

test("JS SDK GET /tags/{arn} with the ARN percent-encoded in the path verifies", async () => {
  const req = await capture(() => client.send(new ListTagsForResourceCommand({ resourceArn: arn })));
  assert.equal(req.method, "GET");
  assert.equal(req.path, `/tags/${encodeURIComponent(arn)}`);
  assert.ok(await verifySigV4(req, store.lookup, new Date()));
});

test("JS SDK DELETE /tags/{arn} with repeated tagKeys verifies, and tampering with them fails", async () => {
  const tagKeys = ["team", "cost center", "a*b(c)", "ümlaut", "alpha"];
  const req = await capture(() => client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys })));
  assert.equal(req.method, "DELETE");
  assert.equal(req.query.split("&").length, tagKeys.length);
  assert.ok(await verifySigV4(req, store.lookup, new Date()));
  await assert.rejects(
    verifySigV4(
      { ...req, query: req.query.replace("tagKeys=team", "tagKeys=tea") },
      store.lookup,
      new Date(),
    ),
    (err: unknown) => err instanceof AuthenticationError && err.code === "InvalidSignatureException",
  );
});

/**
 * Cross-signer check with Python: botocore's SigV4Auth signs requests (printed as JSON) and a real boto3
 * AppFlow client talks to a throwaway capture server; verifySigV4 must accept both. Skipped, with the
 * reason, when python3 with botocore/boto3 is not installed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { promisify } from "node:util";
import { createCredentialStore } from "../../src/api/protocol/credentials.ts";
import { type SignedRequest, verifySigV4 } from "../../src/api/protocol/sigv4-verify.ts";
import { AuthenticationError } from "../../src/domain/errors.ts";

const run = promisify(execFile);
const store = createCredentialStore(
  { keys: [{ accessKeyId: "AKIABOTOTEST", secretAccessKey: "boto/secret+key", accountId: "444455556666" }] },
  "inline",
);
const arn = "arn:aws:appflow:eu-central-1:444455556666:flow/boto-flow";
// Keep the user's AWS settings and proxies out of the Python side (but keep PATH/HOME for pyenv and the like).
const pyEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^AWS_|_proxy$/i.test(k))),
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  NO_PROXY: "*",
};

async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("python3", ["-c", script, ...args], { env: pyEnv, timeout: 60_000 });
  return stdout;
}

async function missingPython(modules: string): Promise<string | undefined> {
  try {
    await python(`import ${modules}`);
    return undefined;
  } catch (err) {
    return `python3 with ${modules} not available (${(err as Error).message.split("\n")[0]})`;
  }
}

const SIGN_SCRIPT = `
import json, sys, datetime
from unittest import mock
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
method, url, body, stamp = sys.argv[1:5]
req = AWSRequest(method=method, url=url, data=body.encode() if body else None,
                 headers={"Content-Type": "application/x-amz-json-1.1"} if body else {})
fixed = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
# botocore reads the clock through botocore.auth.get_current_datetime; pin it so the test controls time.
with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
    SigV4Auth(Credentials("AKIABOTOTEST", "boto/secret+key"), "appflow", "eu-central-1").add_auth(req)
print(json.dumps({k.lower(): v for k, v in req.headers.items()}))
`;

async function botoSigned(method: string, path: string, query: string, body: string): Promise<SignedRequest> {
  const url = `http://localhost:9000${path}${query ? `?${query}` : ""}`;
  const headers = JSON.parse(await python(SIGN_SCRIPT, method, url, body, "20240506T070809Z"));
  // botocore signs the Host it derives from the URL but leaves sending it to the HTTP layer.
  return { method, path, query, headers: { host: "localhost:9000", ...headers }, body: Buffer.from(body) };
}

const at = new Date("2024-05-06T07:10:00Z");

test("botocore SigV4Auth: POST with body, and /tags/<encoded arn> with repeated tagKeys", async (t) => {
  const reason = await missingPython("botocore");
  if (reason) return t.skip(reason);

  const post = await botoSigned("POST", "/start-flow", "", '{"flowName":"nightly"}');
  assert.equal(post.headers["x-amz-content-sha256"], undefined, "boto3 does not send x-amz-content-sha256");
  assert.ok(await verifySigV4(post, store.lookup, at));
  await assert.rejects(verifySigV4({ ...post, body: Buffer.from('{"flowName":"x"}') }, store.lookup, at));

  const path = `/tags/${encodeURIComponent(arn)}`;
  const del = await botoSigned(
    "DELETE",
    path,
    "tagKeys=zeta&tagKeys=alpha&tagKeys=with%20space&tagKeys=%C3%BC",
    "",
  );
  const { region, credential } = await verifySigV4(del, store.lookup, at);
  assert.equal(region, "eu-central-1");
  assert.equal(credential.principalArn, "arn:aws:iam::444455556666:user/AKIABOTOTEST");
  await assert.rejects(
    verifySigV4(del, store.lookup, new Date("2024-05-06T07:30:00Z")),
    (err: unknown) => err instanceof AuthenticationError && /^Signature expired/.test(err.message),
  );
});

const CLIENT_SCRIPT = `
import sys, boto3
from botocore.config import Config
c = boto3.client("appflow", endpoint_url=sys.argv[1], region_name="eu-central-1",
                 aws_access_key_id="AKIABOTOTEST", aws_secret_access_key="boto/secret+key",
                 config=Config(retries={"max_attempts": 1}))
c.start_flow(flowName="nightly")
c.list_tags_for_resource(resourceArn=sys.argv[2])
c.untag_resource(resourceArn=sys.argv[2], tagKeys=["team", "cost center", "alpha", "a*b"])
`;

test("real boto3 AppFlow client requests, as captured on the wire, verify", async (t) => {
  const reason = await missingPython("boto3");
  if (reason) return t.skip(reason);
  const captured: SignedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const [path = "/", query = ""] = (req.url ?? "/").split("?", 2);
      captured.push({
        method: req.method ?? "GET",
        path,
        query,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  await python(CLIENT_SCRIPT, `http://127.0.0.1:${port}`, arn);
  assert.deepEqual(
    captured.map((r) => r.method),
    ["POST", "GET", "DELETE"],
  );
  for (const req of captured) {
    await verifySigV4(req, store.lookup, new Date());
  }
  const untag = captured[2]!;
  assert.ok(untag.path.startsWith("/tags/arn%3Aaws%3Aappflow%3A"), untag.path);
  assert.equal(untag.query.split("&").length, 4);
});

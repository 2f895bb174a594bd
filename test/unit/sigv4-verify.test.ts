/**
 * verifySigV4 against requests signed with @smithy/signature-v4 configured the way the JS SDK configures it
 * (uriEscapePath true, applyChecksum true), plus every rejection path.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createCredentialStore } from "../../src/api/protocol/credentials.ts";
import { type SignedRequest, verifySigV4 } from "../../src/api/protocol/sigv4-verify.ts";
import { AuthenticationError } from "../../src/domain/errors.ts";

const store = createCredentialStore(
  {
    keys: [
      {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "s3cr3t/Key+x",
        accountId: "123456789012",
        userName: "ana",
      },
      { accessKeyId: "test", secretAccessKey: "test", accountId: "000000000000" },
    ],
  },
  "inline",
);
const lookup = store.lookup;
const signingDate = new Date("2024-05-06T07:08:09Z");
const arn = "arn:aws:appflow:eu-west-1:123456789012:flow/my-flow";

/** escapeUri as the SDKs use it for query strings and path labels (RFC 3986 unreserved kept). */
const uriEscape = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Spec {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  secret?: string;
  accessKeyId?: string;
  region?: string;
  service?: string;
  date?: Date;
}

/** Signs like the JS SDK and returns the request as the server would see it on the wire. */
async function signed(spec: Spec): Promise<SignedRequest> {
  const body = Buffer.from(spec.body ?? "");
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: spec.accessKeyId ?? "AKIDEXAMPLE",
      secretAccessKey: spec.secret ?? "s3cr3t/Key+x",
    },
    region: spec.region ?? "eu-west-1",
    service: spec.service ?? "appflow",
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: true,
  });
  const headers: Record<string, string> = {
    host: "127.0.0.1:8787",
    "content-type": "application/json",
    "user-agent": "aws-sdk-js/3 test",
    "x-amz-user-agent": "aws-sdk-js/3",
    "amz-sdk-invocation-id": "4c1f5f8e-1111-2222-3333-444455556666",
    "amz-sdk-request": "attempt=1; max=3",
    ...(body.length > 0 ? { "content-length": String(body.length) } : {}),
    ...spec.headers,
  };
  const out = await signer.sign(
    {
      method: spec.method,
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 8787,
      path: spec.path,
      query: spec.query ?? {},
      headers,
      body,
    },
    { signingDate: spec.date ?? signingDate },
  );
  const query = Object.entries(spec.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${uriEscape(k)}=${uriEscape(x)}`))
    .join("&");
  return { method: spec.method, path: spec.path, query, headers: { ...out.headers }, body };
}

async function rejects(
  req: SignedRequest,
  code: string,
  status: number,
  message?: RegExp,
  now = signingDate,
) {
  await assert.rejects(verifySigV4(req, lookup, now), (err: unknown) => {
    assert.ok(err instanceof AuthenticationError, `expected AuthenticationError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const createFlow = () => signed({ method: "POST", path: "/create-flow", body: '{"flowName":"f1"}' });

test("accepts a POST signed like the JS SDK and reports the key and region", async () => {
  const req = await createFlow();
  assert.match(String(req.headers.authorization), /SignedHeaders=.*x-amz-content-sha256/);
  const { credential, region } = await verifySigV4(req, lookup, signingDate);
  assert.equal(credential.accessKeyId, "AKIDEXAMPLE");
  assert.equal(credential.principalArn, "arn:aws:iam::123456789012:user/ana");
  assert.equal(region, "eu-west-1");
});

test("accepts a percent-encoded tag ARN path with repeated, unsorted tagKeys", async () => {
  const req = await signed({
    method: "DELETE",
    path: `/tags/${uriEscape(arn)}`,
    query: { tagKeys: ["zeta", "alpha", "with space", "ü*(x)"] },
  });
  assert.ok(req.path.startsWith("/tags/arn%3Aaws%3Aappflow%3A"));
  assert.match(req.query, /^tagKeys=zeta&tagKeys=alpha&tagKeys=with%20space&/);
  const { region } = await verifySigV4(req, lookup, signingDate);
  assert.equal(region, "eu-west-1");
});

test("a request signed over the decoded path does not verify against the encoded one", async () => {
  const req = await signed({ method: "GET", path: `/tags/${uriEscape(arn)}` });
  await rejects({ ...req, path: `/tags/${arn}` }, "InvalidSignatureException", 403, /does not match/);
});

test("a request without x-amz-content-sha256 (as boto3 sends) verifies against the body", async () => {
  const signer = new SignatureV4({
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    region: "us-east-1",
    service: "appflow",
    sha256: Sha256,
    applyChecksum: false,
  });
  const body = Buffer.from('{"flowName":"x"}');
  const out = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: "localhost",
      path: "/start-flow",
      query: {},
      headers: { host: "localhost", "content-type": "application/json" },
      body,
    },
    { signingDate },
  );
  assert.doesNotMatch(String(out.headers.authorization), /x-amz-content-sha256/);
  const req: SignedRequest = {
    method: "POST",
    path: "/start-flow",
    query: "",
    headers: { ...out.headers },
    body,
  };
  const { credential } = await verifySigV4(req, lookup, signingDate);
  assert.equal(credential.accountId, "000000000000");
  await rejects(
    { ...req, body: Buffer.from('{"flowName":"y"}') },
    "InvalidSignatureException",
    403,
    /does not match/,
  );
});

test("rejects a wrong secret", async () => {
  const req = await signed({ method: "POST", path: "/create-flow", body: "{}", secret: "not-the-secret" });
  await rejects(req, "InvalidSignatureException", 403, /Check your AWS Secret Access Key/);
});

test("rejects an unknown access key", async () => {
  const req = await signed({ method: "POST", path: "/list-flows", accessKeyId: "AKIDUNKNOWN" });
  await rejects(req, "UnrecognizedClientException", 403, /security token included in the request is invalid/);
});

test("rejects a missing Authorization header", async () => {
  const req = await createFlow();
  delete req.headers.authorization;
  await rejects(req, "MissingAuthenticationTokenException", 403);
});

test("rejects malformed Authorization headers with 400", async () => {
  const req = await createFlow();
  const auth = String(req.headers.authorization);
  const variants = [
    "Basic dGVzdDp0ZXN0",
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240506/eu-west-1/appflow/aws4_request",
    auth.replace(/Credential=[^,]+/, "Credential=AKIDEXAMPLE/20240506"),
    auth.replace("aws4_request", "aws5_request"),
    auth.replace(/, Signature=/, ", Signature"),
  ];
  for (const authorization of variants) {
    await rejects(
      { ...req, headers: { ...req.headers, authorization } },
      "IncompleteSignatureException",
      400,
    );
  }
  const noDate = { ...req.headers };
  delete noDate["x-amz-date"];
  await rejects({ ...req, headers: noDate }, "IncompleteSignatureException", 400, /X-Amz-Date/);
  await rejects(
    { ...req, headers: { ...req.headers, "x-amz-date": "2024-05-06T07:08:09Z" } },
    "IncompleteSignatureException",
    400,
  );
});

test("rejects a request time more than 15 minutes off, in both directions", async () => {
  const req = await createFlow();
  const minute = 60_000;
  assert.ok(await verifySigV4(req, lookup, new Date(signingDate.getTime() + 15 * minute)));
  assert.ok(await verifySigV4(req, lookup, new Date(signingDate.getTime() - 15 * minute)));
  await rejects(
    req,
    "InvalidSignatureException",
    403,
    /^Signature expired: 20240506T070809Z is now earlier than/,
    new Date(signingDate.getTime() + 16 * minute),
  );
  await rejects(
    req,
    "InvalidSignatureException",
    403,
    /^Signature not yet current: 20240506T070809Z/,
    new Date(signingDate.getTime() - 16 * minute),
  );
});

test("rejects a body that does not match x-amz-content-sha256", async () => {
  const req = await createFlow();
  await rejects(
    { ...req, body: Buffer.from('{"flowName":"f2"}') },
    "InvalidSignatureException",
    403,
    /x-amz-content-sha256/,
  );
});

test("rejects a signed header that was altered, but ignores unsigned ones", async () => {
  const req = await createFlow();
  await rejects(
    { ...req, headers: { ...req.headers, "amz-sdk-request": "attempt=2; max=3" } },
    "InvalidSignatureException",
    403,
  );
  await rejects(
    { ...req, headers: { ...req.headers, host: "evil.example:8787" } },
    "InvalidSignatureException",
    403,
  );
  await rejects({ ...req, method: "PUT" }, "InvalidSignatureException", 403);
  await rejects({ ...req, query: "extra=1" }, "InvalidSignatureException", 403);
  const withUnsigned = { ...req.headers, "user-agent": "something else", "x-forwarded-for": "10.0.0.1" };
  assert.ok(await verifySigV4({ ...req, headers: withUnsigned }, lookup, signingDate));
  const dropped = { ...req.headers };
  delete dropped["amz-sdk-invocation-id"];
  await rejects({ ...req, headers: dropped }, "InvalidSignatureException", 403);
});

test("rejects a SignedHeaders list naming a header the request does not carry", async () => {
  // Signed without x-amz-target, then the list claims it: the signature itself still matches a
  // canonical request that leaves the absent header out, which is what a lenient verifier computes.
  const req = await createFlow();
  const auth = String(req.headers.authorization);
  const claimed = auth.replace(
    /SignedHeaders=([^,]+)/,
    (_m, list: string) => `SignedHeaders=${[...list.split(";"), "x-amz-target"].sort().join(";")}`,
  );
  assert.notEqual(claimed, auth);
  await rejects(
    { ...req, headers: { ...req.headers, authorization: claimed } },
    "InvalidSignatureException",
    403,
    /signature we calculated does not match/,
  );
});

test("rejects a signature scoped to another service", async () => {
  const req = await signed({ method: "POST", path: "/list-flows", service: "s3" });
  await rejects(req, "InvalidSignatureException", 403, /scoped to correct service: 'appflow'/);
});

test("takes the region from the credential scope", async () => {
  const req = await signed({ method: "POST", path: "/list-flows", region: "ap-southeast-2", body: "{}" });
  const { region } = await verifySigV4(req, lookup, signingDate);
  assert.equal(region, "ap-southeast-2");
});

test("signers are reused per key and region, never across secrets, regions or days", async () => {
  // Warm the cache for AKIDEXAMPLE in eu-west-1, then change every input the derived key depends on.
  await verifySigV4(await createFlow(), lookup, signingDate);
  await rejects(
    await signed({ method: "POST", path: "/create-flow", secret: "wrong" }),
    "InvalidSignatureException",
    403,
  );
  const rotated = { ...lookup("AKIDEXAMPLE")!, secretAccessKey: "rotated/Key" };
  const rotatedLookup = (id: string) => (id === "AKIDEXAMPLE" ? rotated : undefined);
  await assert.rejects(verifySigV4(await createFlow(), rotatedLookup, signingDate), /does not match/);
  const withNew = await signed({ method: "POST", path: "/create-flow", secret: "rotated/Key" });
  assert.equal(
    (await verifySigV4(withNew, rotatedLookup, signingDate)).credential.accessKeyId,
    "AKIDEXAMPLE",
  );
  const otherRegion = await signed({ method: "POST", path: "/create-flow", region: "us-west-2" });
  assert.equal((await verifySigV4(otherRegion, lookup, signingDate)).region, "us-west-2");
  const nextDay = new Date(signingDate.getTime() + 86_400_000);
  await verifySigV4(await signed({ method: "POST", path: "/create-flow", date: nextDay }), lookup, nextDay);
  await rejects(
    await signed({ method: "POST", path: "/create-flow", date: nextDay, secret: "wrong" }),
    "InvalidSignatureException",
    403,
    undefined,
    nextDay,
  );
});

/**
 * Verifies AWS Signature Version 4 (header form, service `appflow`) on an incoming request.
 *
 * We do not canonicalize by hand: the request is rebuilt with only the headers the client signed and re-signed
 * with @smithy/signature-v4 — the signer the JS SDK itself uses — then the two signatures are compared in
 * constant time. The path is given to the signer exactly as received (still percent-encoded), and the signer
 * escapes it once more: that is the double encoding both boto3 and the JS SDK apply to non-S3 paths such as
 * `/tags/arn%3Aaws%3Aappflow%3A...`. The query is decoded into key → value(s) and re-escaped by the signer,
 * which sorts repeated keys (`tagKeys=b&tagKeys=a`) by value as both SDKs do.
 */
import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { AuthenticationError } from "../../domain/errors.ts";
import { formatAmzDate, type ParsedAuthorization, parseAmzDate, parseAuthorization } from "./auth-header.ts";
import type { Credential } from "./credentials.ts";

export const SIGNING_SERVICE = "appflow";
/** How far the request time may be from ours, either way (AWS allows 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** Raw path as received, without the query string. */
  path: string;
  /** Raw query string, without the leading `?` (may be empty). */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface VerifiedCaller {
  credential: Credential;
  region: string;
}

/** node:crypto behind the smithy Checksum interface (faster than the pure-JS @aws-crypto hash). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = typeof secret === "string" || secret === undefined ? secret : toBuffer(secret);
    this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", key);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error("NodeSha256 is single-use");
  }
}

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(new Uint8Array(data));
}

const invalidSignature = (message: string) =>
  new AuthenticationError("InvalidSignatureException", 403, message);
const incomplete = (message: string) => new AuthenticationError("IncompleteSignatureException", 400, message);

export const SIGNATURE_MISMATCH_MESSAGE =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method.";

function headerValue(headers: SignedRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // malformed escapes: sign what was sent; the signature check decides
  }
}

/** Raw query string → the decoded key → value | values map the smithy signer expects. */
function parseQuery(raw: string): Record<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeComponent(pair.slice(eq + 1));
    const prev = out.get(key);
    out.set(key, prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
  }
  return Object.fromEntries(out);
}

function checkClock(amzDate: string, requestTime: Date, now: Date): void {
  const skew = requestTime.getTime() - now.getTime();
  if (skew < -MAX_CLOCK_SKEW_MS) {
    const limit = formatAmzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS));
    throw invalidSignature(
      `Signature expired: ${amzDate} is now earlier than ${limit} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_CLOCK_SKEW_MS) {
    const limit = formatAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS));
    throw invalidSignature(
      `Signature not yet current: ${amzDate} is still later than ${limit} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

function checkScope(auth: ParsedAuthorization, amzDate: string): void {
  if (auth.service !== SIGNING_SERVICE) {
    throw invalidSignature(`Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`);
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  for (const required of ["host", "x-amz-date"]) {
    if (!auth.signedHeaders.includes(required)) {
      throw invalidSignature(`'${required}' must be a 'SignedHeader' in the AWS Authorization.`);
    }
  }
}

/**
 * One signer per access key and region, reused: the signer caches its derived signing key (four HMACs) per
 * day, and building it per request cost more than the check itself. The secret is part of the entry, so a
 * rotated secret gets a fresh signer. Bounded, because the region is whatever the client's scope says.
 */
const signers = new Map<string, { secret: string; signer: SignatureV4 }>();
const MAX_SIGNERS = 256;

function signerFor(credential: Credential, region: string): SignatureV4 {
  const key = `${credential.accessKeyId}\n${region}`;
  const hit = signers.get(key);
  if (hit?.secret === credential.secretAccessKey) return hit.signer;
  if (signers.size >= MAX_SIGNERS) signers.clear();
  const signer = new SignatureV4({
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region,
    service: SIGNING_SERVICE,
    sha256: NodeSha256,
    uriEscapePath: true,
    // Never add x-amz-content-sha256 on our side: boto3 does not send it, and the header set must be the client's.
    applyChecksum: false,
  });
  signers.set(key, { secret: credential.secretAccessKey, signer });
  return signer;
}

function sha256Hex(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

/**
 * Checks the request's SigV4 signature. Resolves to the caller's credential and the region from its
 * credential scope; rejects with AuthenticationError (400 for a malformed header, 403 otherwise).
 */
export async function verifySigV4(
  req: SignedRequest,
  lookup: (accessKeyId: string) => Credential | undefined,
  now: Date,
): Promise<VerifiedCaller> {
  const authorization = headerValue(req.headers, "authorization");
  if (authorization === undefined || authorization.trim() === "") {
    throw new AuthenticationError("MissingAuthenticationTokenException", 403, "Missing Authentication Token");
  }
  const auth = parseAuthorization(authorization);
  const amzDate = headerValue(req.headers, "x-amz-date")?.trim();
  if (amzDate === undefined) {
    throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === undefined) {
    throw incomplete(`Date must be in ISO-8601 'basic format' (YYYYMMDD'T'HHMMSS'Z'). Got '${amzDate}'.`);
  }
  checkClock(amzDate, requestTime, now);
  checkScope(auth, amzDate);

  const credential = lookup(auth.accessKeyId);
  if (credential === undefined) {
    throw new AuthenticationError(
      "UnrecognizedClientException",
      403,
      "The security token included in the request is invalid.",
    );
  }

  // The signer trusts x-amz-content-sha256 as the payload hash, so a tampered body must be caught here.
  const declaredHash = headerValue(req.headers, "x-amz-content-sha256")?.trim();
  if (declaredHash !== undefined && declaredHash !== sha256Hex(req.body)) {
    throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = headerValue(req.headers, name);
    // A signed header the request does not carry: the signer would leave it out of the canonical request,
    // so a signature made without it would verify under a SignedHeaders list that claims it. AWS refuses.
    if (value === undefined) throw invalidSignature(SIGNATURE_MISMATCH_MESSAGE);
    headers[name] = value;
  }
  const signer = signerFor(credential, auth.region);
  const signed = await signer.sign(
    {
      method: req.method.toUpperCase(),
      protocol: "https:",
      hostname: headers.host ?? "",
      path: req.path,
      query: parseQuery(req.query),
      headers,
      body: req.body,
    },
    { signingDate: requestTime, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
  const given = Buffer.from(auth.signature, "utf8");
  const ours = Buffer.from(expected, "utf8");
  if (ours.length === 0 || given.length !== ours.length || !timingSafeEqual(given, ours)) {
    throw invalidSignature(SIGNATURE_MISMATCH_MESSAGE);
  }
  return { credential, region: auth.region };
}

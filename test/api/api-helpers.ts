/**
 * Shared pieces of the API tests: asserting an SDK error by name and status, raw HTTP requests signed
 * (or deliberately mis-signed) with @smithy/signature-v4, and credentials files with several keys.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sha256 } from "@aws-crypto/sha256-js";
import type { CreateFlowRequest, ExecutionRecord } from "@aws-sdk/client-appflow";
import { SignatureV4 } from "@smithy/signature-v4";
import { copyTasks } from "../helpers/flows.ts";

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Asserts that `p` rejects with the AppFlow error `name` (and HTTP status / message when given). */
export async function rejectsWith(
  p: Promise<unknown>,
  name: string,
  opts: { status?: number; message?: RegExp } = {},
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as SdkError;
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (opts.status !== undefined) assert.equal(err.$metadata?.httpStatusCode, opts.status);
    if (opts.message) assert.match(err.message ?? "", opts.message);
    return true;
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  query?: Record<string, string | string[]>;
  body?: string;
  headers?: Record<string, string>;
  /** Keys to sign with; `false` sends the request unsigned. Defaults to the development key. */
  sign?: { accessKeyId: string; secretAccessKey: string } | false;
  region?: string;
}

/** One HTTP request exactly as given (node:http, so any header — even a broken one — goes out as written). */
export async function rawRequest(endpoint: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const method = r.method ?? "POST";
  const body = r.body ?? "";
  let headers: Record<string, string> = {
    host: url.host,
    "content-type": "application/json",
    ...r.headers,
  };
  if (r.sign !== false) {
    const signer = new SignatureV4({
      service: "appflow",
      region: r.region ?? "us-east-1",
      credentials: r.sign ?? { accessKeyId: "test", secretAccessKey: "test" },
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method,
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: r.path,
      query: r.query ?? {},
      headers,
      body,
    });
    headers = signed.headers;
  }
  // Explicit framing: node:http sends a GET/DELETE body unframed otherwise.
  headers = { ...headers, "content-length": String(Buffer.byteLength(body)) };
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(r.query ?? {})) for (const x of [v].flat()) qs.append(k, x);
  const path = qs.size > 0 ? `${r.path}?${qs.toString().replaceAll("+", "%20")}` : r.path;
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Asserts the restJson1 error shape AWS SDKs read: status, x-amzn-ErrorType, {"message"}, a request id. */
export function assertAwsError(res: RawResponse, status: number, type: string): string {
  assert.equal(res.status, status, `status of ${res.body}`);
  assert.equal(res.headers["x-amzn-errortype"], type);
  assert.ok(res.headers["x-amzn-requestid"], "every response carries x-amzn-RequestId");
  const parsed = JSON.parse(res.body) as { message?: unknown };
  assert.equal(typeof parsed.message, "string");
  return parsed.message as string;
}

export interface KeySpec {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  policy?: { allow: { actions: string[]; resources: string[] }[] };
}

/** Writes a credentials file into a fresh temp dir; returns its path and the dir (the caller removes it). */
export function writeCredentialsFile(keys: KeySpec[]): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-creds-"));
  const file = join(dir, "credentials.json");
  writeFileSync(file, JSON.stringify({ keys }));
  return { file, dir };
}

/** An on-demand S3 → S3 flow request (CSV from inbox/small to JSON in outbox); `over` replaces members. */
export const s3Flow = (flowName: string, over: Partial<CreateFlowRequest> = {}): CreateFlowRequest => ({
  flowName,
  triggerConfig: { triggerType: "OnDemand" },
  sourceFlowConfig: {
    connectorType: "S3",
    sourceConnectorProperties: {
      S3: { bucketName: "inbox", bucketPrefix: "small", s3InputFormatConfig: { s3InputFileType: "CSV" } },
    },
  },
  destinationFlowConfigList: [
    {
      connectorType: "S3",
      destinationConnectorProperties: {
        S3: { bucketName: "outbox", s3OutputFormatConfig: { fileType: "JSON" } },
      },
    },
  ],
  tasks: copyTasks(),
  ...over,
});

/** The run went on: a cancel would have made it CancelStarted before the refused call answered. */
export const assertNotCancelled = (r: ExecutionRecord | undefined) =>
  assert.ok(["InProgress", "Successful"].includes(r?.executionStatus ?? ""), `run is ${r?.executionStatus}`);

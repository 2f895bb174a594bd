/**
 * Runs end to end through the API: S3 → S3 against a real S3 API server on loopback (s3rver), the
 * objects read back; the maximum run time ends a run Error; progress is visible while a run goes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { StartFlowCommand } from "@aws-sdk/client-appflow";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { type S3rverFixture, startS3rver } from "../connectors/s3rver-fixture.ts";
import {
  COLUMNS,
  createPgProfile,
  createS3ToPgFlow,
  createS3ToS3Flow,
  createSlowTable,
  isTerminal,
  type TestTable,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

describe("runs through a real S3 API server (s3rver on loopback)", () => {
  let s3dir: string;
  let s3rver: S3rverFixture;
  let s3: S3Client;
  let s: TestServer;
  before(async () => {
    s3dir = mkdtempSync(join(tmpdir(), "sluice-s3rver-"));
    // The fixture's s3rver answers a put only once the object is on disk (stock s3rver may list it short).
    s3rver = await startS3rver(s3dir);
    const endpoint = s3rver.endpoint;
    s3 = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    s = await startTestServer("sqlite", {
      s3: { endpoint, accessKeyId: "S3RVER", secretAccessKey: "S3RVER", region: "us-east-1" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "src" }));
    await s3.send(new CreateBucketCommand({ Bucket: "dst" }));
    const rows = Array.from({ length: 1000 }, (_, i) => COLUMNS.map((c) => `${c}${i}`).join(","));
    await s3.send(
      new PutObjectCommand({
        Bucket: "src",
        Key: "in/a.csv",
        Body: `${COLUMNS.join(",")}\n${rows.join("\n")}\n`,
      }),
    );
  });
  after(async () => {
    await s.close();
    s3.destroy();
    await s3rver.close();
    rmSync(s3dir, { recursive: true, force: true });
  });

  test("S3 CSV → S3 JSON Lines: every record arrives under <flowName>/<executionId>/", async () => {
    await createS3ToS3Flow(s.client, "s3-json", {
      inBucket: "src",
      prefix: "in",
      outBucket: "dst",
      fileType: "JSON",
    });
    const id = (await s.client.send(new StartFlowCommand({ flowName: "s3-json" }))).executionId!;
    const rec = await waitForRun(s.client, "s3-json", id, isTerminal, "the run to end");
    assert.equal(rec.executionStatus, "Successful", rec.executionResult?.errorInfo?.executionMessage ?? "");
    assert.equal(rec.executionResult?.recordsProcessed, 1000);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "dst", Prefix: `s3-json/${id}/` }));
    assert.ok((listed.Contents ?? []).length >= 1);
    let lines: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const o of listed.Contents ?? []) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: "dst", Key: o.Key! }))
      ).Body!.transformToString();
      bytes += Buffer.byteLength(body);
      lines = lines.concat(
        body
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
    }
    assert.equal(lines.length, 1000);
    assert.deepEqual(Object.keys(lines[0]!), COLUMNS);
    assert.equal(lines[999]!.id, "id999");
    assert.equal(rec.executionResult?.bytesWritten, bytes);
  });
});

describe("run limits", async () => {
  // The run goes into a table whose trigger sleeps 50 ms per row (a 200-row batch takes 10 s): it is
  // longer than the maximum run time by construction, not because the input is big.
  const skip = await pgSkipReason("postgres");
  let s: TestServer;
  let slow: TestTable;
  before(async () => {
    if (skip) return;
    s = await startTestServer("sqlite", {
      engine: { maxRunMs: 2_000, batchRows: 500, redshiftBatchRows: 200, cancelGraceMs: 300 },
    });
    slow = await createSlowTable(50);
    await writeCsv(s.dataDir, "inbox", "few/data.csv", 1_000);
    await createPgProfile(s.client, "pg");
    await createS3ToPgFlow(s.client, "long", {
      inBucket: "inbox",
      prefix: "few",
      profile: "pg",
      table: slow.table,
    });
  });
  after(async () => {
    await s?.close();
    await slow?.drop();
  });

  test("a run longer than the maximum run time ends Error, with the counts it reached", {
    skip,
  }, async () => {
    const id = (await s.client.send(new StartFlowCommand({ flowName: "long" }))).executionId!;
    const rec = await waitForRun(s.client, "long", id, isTerminal, "the run to end");
    assert.equal(rec.executionStatus, "Error");
    assert.match(rec.executionResult?.errorInfo?.executionMessage ?? "", /maximum run time/);
    assert.ok((rec.executionResult?.recordsProcessed ?? 0) > 0);
    assert.equal(await slow.count(), 0, "the batch in flight at the deadline was rolled back");
  });
});

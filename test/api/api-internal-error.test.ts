/**
 * An unexpected store failure (the runs table dropped under the server) is answered 500
 * InternalServerException with a request id, and no SQL, table name or stack in the answer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AppflowClient, DescribeFlowExecutionRecordsCommand } from "@aws-sdk/client-appflow";
import SQLite from "better-sqlite3";
import pg from "pg";
import { backends, PG_URL } from "../helpers/backends.ts";
import { createS3ToS3Flow } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { assertAwsError, rawRequest } from "./api-helpers.ts";

async function dropRunsTable(s: TestServer): Promise<void> {
  if (s.backend === "postgres") {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP TABLE "${s.pgSchema}".runs CASCADE`);
    } finally {
      await c.end();
    }
    return;
  }
  const db = new SQLite(join(s.dataDir, "sluice.db"));
  try {
    db.pragma("busy_timeout = 5000");
    db.exec("DROP TABLE runs");
  } finally {
    db.close();
  }
}

const LEAKS = /select|insert|from\s|runs|relation|sqlite|no such table|\.ts:\d+|\bat\s+\S+\s*\(|Error:/i;

for (const backend of backends) {
  describe(`InternalServerException (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      await createS3ToS3Flow(s.client, "doomed", { inBucket: "inbox", prefix: "x", outBucket: "outbox" });
      await dropRunsTable(s);
    });
    after(async () => s?.close());

    test("a store failure is 500 InternalServerException without internals", { skip }, async () => {
      const res = await rawRequest(s.sluice.url, {
        path: "/describe-flow-execution-records",
        body: JSON.stringify({ flowName: "doomed" }),
      });
      const message = assertAwsError(res, 500, "InternalServerException");
      assert.doesNotMatch(message, LEAKS);
      assert.deepEqual(Object.keys(JSON.parse(res.body)), ["message"]);
      assert.ok(
        message.includes(String(res.headers["x-amzn-requestid"])),
        "the message names the request id",
      );

      const once = new AppflowClient({
        endpoint: s.sluice.url,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: 1,
      });
      try {
        await assert.rejects(
          once.send(new DescribeFlowExecutionRecordsCommand({ flowName: "doomed" })),
          (e: Error) => {
            assert.equal(e.name, "InternalServerException");
            assert.equal((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 500);
            assert.doesNotMatch(e.message, LEAKS);
            return true;
          },
        );
      } finally {
        once.destroy();
      }
      // The server is still up and answers what doesn't touch the broken table.
      const ok = await rawRequest(s.sluice.url, { path: "/list-connectors", body: "{}" });
      assert.equal(ok.status, 200);
    });
  });
}

/**
 * Logs are structured JSON with request ids, and secrets never appear in them: not the connector
 * profile password (also when the profile can't connect), not the caller's secret key.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import {
  CreateConnectorProfileCommand,
  DescribeConnectorProfilesCommand,
  ListFlowsCommand,
} from "@aws-sdk/client-appflow";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startSluice } from "../../src/main.ts";
import { PG_URL } from "../helpers/backends.ts";
import { createPgProfile } from "../helpers/flows.ts";
import { appflowClient } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

test("no secret reaches a log line or a response", { skip: await pgSkipReason("postgres") }, async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-logs-"));
  const sluice = await startSluice(
    loadConfig({ port: 0, dataDir, logLevel: "debug" }, {}),
    createLogger("debug", sink),
  );
  const client = appflowClient(sluice.url);
  const secret = "S3cr3t-Pa55word-do-not-log";
  try {
    await createPgProfile(client, "good");
    const url = new URL(PG_URL);
    // A profile that can't connect: the error message must not carry the password either.
    const failed = await client
      .send(
        new CreateConnectorProfileCommand({
          connectorProfileName: "bad",
          connectorType: "Redshift",
          connectionMode: "Public",
          connectorProfileConfig: {
            connectorProfileProperties: {
              Redshift: {
                databaseUrl: `jdbc:redshift://${url.hostname}:1/nowhere`,
                bucketName: "staging",
                roleArn: "arn:aws:iam::000000000000:role/x",
              },
            },
            connectorProfileCredentials: { Redshift: { username: "someone", password: secret } },
          },
        }),
      )
      .then(
        () => undefined,
        (e: Error) => e,
      );
    assert.ok(failed, "an unreachable database is refused");
    assert.ok(!failed.message.includes(secret));
    const described = await client.send(new DescribeConnectorProfilesCommand({}));
    assert.ok(!JSON.stringify(described).includes("unused"), "the stored password is never returned");
    await client.send(new ListFlowsCommand({}));
    await appflowClient(sluice.url, "test", "wrong-secret-value")
      .send(new ListFlowsCommand({}))
      .catch(() => undefined);
  } finally {
    client.destroy();
    await sluice.stop(0);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const all = lines.join("\n");
  assert.ok(lines.length > 5);
  for (const bad of [secret, "wrong-secret-value", "Signature="])
    assert.ok(!all.includes(bad), `${bad} is logged`);
  const requests = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === "request");
  assert.ok(requests.every((r) => typeof r.requestId === "string" && typeof r.operation === "string"));
});

/** A start that fails holds nothing: the data dir lock and the store are released. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ListFlowsCommand } from "@aws-sdk/client-appflow";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startSluice } from "../../src/main.ts";
import { appflowClient } from "../helpers/server.ts";

const silent = createLogger("silent");

test("a port in use or a broken credentials file fails the start, and a later start succeeds", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-start-"));
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  const port = (blocker.address() as AddressInfo).port;
  try {
    await assert.rejects(startSluice(loadConfig({ port, dataDir }, {}), silent), /EADDRINUSE/);
    const bad = join(dataDir, "creds.json");
    writeFileSync(
      bad,
      JSON.stringify({ keys: [{ accessKeyId: "k", secretAccessKey: "s", accountId: "12" }] }),
    );
    await assert.rejects(
      startSluice(loadConfig({ port: 0, dataDir, credentialsFile: bad }, {}), silent),
      /accountId/,
    );
    const sluice = await startSluice(loadConfig({ port: 0, dataDir }, {}), silent);
    const client = appflowClient(sluice.url);
    try {
      assert.deepEqual((await client.send(new ListFlowsCommand({}))).flows, []);
    } finally {
      client.destroy();
      await sluice.stop(0);
    }
  } finally {
    blocker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a second server on the same SQLite data dir is refused while the first runs", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-lock-"));
  const first = await startSluice(loadConfig({ port: 0, dataDir }, {}), silent);
  try {
    await assert.rejects(startSluice(loadConfig({ port: 0, dataDir }, {}), silent), /in use by process/);
  } finally {
    await first.stop(0);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * A clientToken request whose node dies mid-request, on real processes: CreateFlow with a token is
 * sent to a `sluice serve` that is SIGKILLed while the request is in its work (it is testing the
 * destination profile's connection, which a TCP proxy in front of PostgreSQL holds). The retry with
 * the same token — on a restarted node (SQLite) or another node (PostgreSQL) — must do the work,
 * once: the dead node's request leaves no reservation that blocks it.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  AppflowClient,
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  type CreateFlowRequest,
  ListFlowsCommand,
} from "@aws-sdk/client-appflow";
import pg from "pg";
import { dropSchema, PG_URL } from "../helpers/backends.ts";
import { copyTasks, csvSource } from "../helpers/flows.ts";
import { pgProxy } from "../helpers/pg-proxy.ts";
import { type ServerProcess, spawnServer } from "../helpers/process.ts";
import { pgSkipReason } from "../helpers/store.ts";

function once(s: ServerProcess) {
  return new AppflowClient({
    endpoint: s.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`a clientToken request on a killed node (${backend})`, async () => {
    const skip = await pgSkipReason("postgres"); // the profile's database is PostgreSQL in both cases

    test("SIGKILL mid-request: the retry with the same token does the work, once", { skip }, async (t) => {
      const dataDir = mkdtempSync(join(tmpdir(), "sluice-token-"));
      const pgSchema = backend === "postgres" ? `t_${randomUUID().replaceAll("-", "")}` : undefined;
      const env: Record<string, string> = {
        SLUICE_DATA_DIR: dataDir,
        ...(pgSchema ? { SLUICE_DATABASE_URL: `${PG_URL}?options=-c%20search_path%3D${pgSchema}` } : {}),
      };
      if (pgSchema) {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`CREATE SCHEMA "${pgSchema}"`);
        await c.end();
      }
      const proxy = await pgProxy();
      const doomed = await spawnServer([], env);
      let next: ServerProcess | undefined;
      try {
        const user = new URL(PG_URL).username || "postgres";
        await doomed.client.send(
          new CreateConnectorProfileCommand({
            connectorProfileName: "via-proxy",
            connectorType: "Redshift",
            connectionMode: "Public",
            connectorProfileConfig: {
              connectorProfileProperties: {
                Redshift: {
                  databaseUrl: `jdbc:redshift://127.0.0.1:${proxy.port}/test`,
                  bucketName: "sluice-staging",
                  roleArn: "arn:aws:iam::000000000000:role/sluice",
                },
              },
              connectorProfileCredentials: { Redshift: { username: user, password: "unused" } },
            },
          }),
        );
        const req: CreateFlowRequest = {
          flowName: "token-flow",
          clientToken: "crash-token-1",
          triggerConfig: { triggerType: "OnDemand" },
          sourceFlowConfig: csvSource("inbox", "rows"),
          destinationFlowConfigList: [
            {
              connectorType: "Redshift",
              connectorProfileName: "via-proxy",
              destinationConnectorProperties: {
                Redshift: { object: "public.token_target", intermediateBucketName: "sluice-staging" },
              },
            },
          ],
          tasks: copyTasks(),
        };
        // The request reaches its work (the profile's connection test) and the node dies there.
        const reached = proxy.hold();
        const first = once(doomed);
        const lost = first.send(new CreateFlowCommand(req)).then(
          () => "answered",
          () => "no answer",
        );
        await reached;
        await doomed.kill("SIGKILL");
        first.destroy();
        assert.equal(await lost, "no answer");
        proxy.resume();

        // SQLite: the node is restarted; PostgreSQL: another node on the same database (and, for the
        // local S3 and the master key, the same data dir) answers the retry.
        next = await spawnServer([], env);
        const retry = once(next);
        try {
          // The retry (a client that doesn't retry by itself) must do the work, not be refused for a
          // reservation the dead request left behind; its time is reported, not asserted.
          const t0 = Date.now();
          const created = await retry.send(new CreateFlowCommand(req));
          t.diagnostic(`retry after SIGKILL answered in ${Date.now() - t0} ms`);
          assert.ok(created.flowArn?.endsWith(":flow/token-flow"));
          // Done once: the same token answers the same result, and there is one flow.
          const again = await retry.send(new CreateFlowCommand(req));
          assert.equal(again.flowArn, created.flowArn);
          const flows = (await retry.send(new ListFlowsCommand({}))).flows ?? [];
          assert.deepEqual(
            flows.map((f) => f.flowName),
            ["token-flow"],
          );
        } finally {
          retry.destroy();
        }
      } finally {
        await doomed.kill("SIGKILL");
        await next?.kill("SIGKILL");
        await proxy.close();
        rmSync(dataDir, { recursive: true, force: true });
        if (pgSchema) await dropSchema(pgSchema);
      }
    });
  });
}

/**
 * Crashes, on real processes: the server is killed with SIGKILL while runs are InProgress and
 * CancelStarted, then started again. No run stays InProgress or CancelStarted: a CancelStarted run
 * ends Canceled, an InProgress one ends Error saying it was interrupted; the destination holds only
 * whole batches. SQLite reaps at startup (one process owns the data dir); PostgreSQL by lease expiry.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CancelFlowExecutionsCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import { dropSchema, PG_URL } from "../helpers/backends.ts";
import {
  createPgProfile,
  createS3ToPgFlow,
  createSlowTable,
  isTerminal,
  runRecord,
  waitForRun,
  writeCsv,
} from "../helpers/flows.ts";
import { spawnServer } from "../helpers/process.ts";
import { pgSkipReason } from "../helpers/store.ts";

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`a killed server (${backend})`, async () => {
    const skip = await pgSkipReason("postgres"); // the destination is PostgreSQL in both cases

    test("SIGKILL with runs CancelStarted and InProgress: after restart Canceled and Error, whole batches only", {
      skip,
    }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "sluice-crash-"));
      const pgSchema = backend === "postgres" ? `c_${randomUUID().replaceAll("-", "")}` : undefined;
      const env: Record<string, string> = {
        SLUICE_DATA_DIR: dataDir,
        SLUICE_BATCH_ROWS: "500",
        SLUICE_REDSHIFT_BATCH_ROWS: "200",
        SLUICE_LEASE_MS: "3000",
        SLUICE_REAP_INTERVAL_MS: "500",
        ...(backend === "postgres"
          ? { SLUICE_DATABASE_URL: `${PG_URL}?options=-c%20search_path%3D${pgSchema}` }
          : {}),
      };
      if (pgSchema) await createSchema(pgSchema);
      const slow = await createSlowTable(5);
      let server = await spawnServer([], env);
      try {
        await writeCsv(dataDir, "inbox", "rows/data.csv", 5_000);
        await createPgProfile(server.client, "pg");
        await createS3ToPgFlow(server.client, "crash-flow", {
          inBucket: "inbox",
          prefix: "rows",
          profile: "pg",
          table: slow.table,
        });
        const stopping = (await server.client.send(new StartFlowCommand({ flowName: "crash-flow" })))
          .executionId!;
        const running = (await server.client.send(new StartFlowCommand({ flowName: "crash-flow" })))
          .executionId!;
        for (const id of [stopping, running]) {
          await waitForRun(
            server.client,
            "crash-flow",
            id,
            (r) => (r.executionResult?.bytesWritten ?? 0) > 0,
            "a committed batch",
          );
        }
        await server.client.send(
          new CancelFlowExecutionsCommand({ flowName: "crash-flow", executionIds: [stopping] }),
        );
        assert.equal(
          (await runRecord(server.client, "crash-flow", stopping))?.executionStatus,
          "CancelStarted",
        );
        await server.kill("SIGKILL");

        server = await spawnServer([], env);
        const canceled = await waitForRun(
          server.client,
          "crash-flow",
          stopping,
          isTerminal,
          "the CancelStarted run to end",
        );
        assert.equal(canceled.executionStatus, "Canceled");
        const errored = await waitForRun(
          server.client,
          "crash-flow",
          running,
          isTerminal,
          "the InProgress run to end",
        );
        assert.equal(errored.executionStatus, "Error");
        assert.match(errored.executionResult?.errorInfo?.executionMessage ?? "", /interrupted/);
        // The batch in flight when the process died was rolled back with its connection.
        assert.equal((await slow.count()) % 200, 0);
        // A new run after the crash works.
        const next = (await server.client.send(new StartFlowCommand({ flowName: "crash-flow" })))
          .executionId!;
        await waitForRun(
          server.client,
          "crash-flow",
          next,
          (r) => (r.executionResult?.bytesWritten ?? 0) > 0,
          "a new run to write",
        );
        await server.client.send(new CancelFlowExecutionsCommand({ flowName: "crash-flow" }));
        assert.equal(
          (await waitForRun(server.client, "crash-flow", next, isTerminal, "the new run to end"))
            .executionStatus,
          "Canceled",
        );
      } finally {
        await server.kill("SIGKILL");
        await slow.drop();
        rmSync(dataDir, { recursive: true, force: true });
        if (pgSchema) await dropSchema(pgSchema);
      }
    });
  });
}

async function createSchema(name: string): Promise<void> {
  const pg = await import("pg");
  const c = new pg.default.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA "${name}"`);
  await c.end();
}

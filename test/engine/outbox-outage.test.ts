/**
 * A run report that went out while PostgreSQL dropped the connection marking it delivered: the mark
 * is retried once the database answers (within the claim), so the report is recorded delivered and
 * not sent again. Only this store's connections are terminated (found by application_name).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pg from "pg";
import { OutboxDeliverer } from "../../src/engine/outbox-deliverer.ts";
import { createLogger } from "../../src/logger.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import { openStore } from "../../src/store/open-store.ts";
import { createRun } from "../../src/store/runs/create-run.ts";
import { dropSchema, PG_URL } from "../helpers/backends.ts";
import { waitFor } from "../helpers/server.ts";
import { flowRow, pgSkipReason } from "../helpers/store.ts";

const skip = await pgSkipReason("postgres");

test("a delivered report whose mark hit a dropped connection is marked once the database is back", {
  skip,
}, async () => {
  const schema = `ob_${randomUUID().replaceAll("-", "")}`;
  const app = `sluice-outbox-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-outbox-"));
  const store = await openStore({
    dataDir,
    databaseUrl: `${PG_URL}?application_name=${app}`,
    pgSchema: schema,
  });
  // Two connections: pg_stat_activity is a snapshot per transaction, so the observer must not be the
  // one holding the lock's transaction open.
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const locker = new pg.Client({ connectionString: PG_URL });
  await locker.connect();
  let posts = 0;
  // The receiver answers only once the test has locked the outbox: the mark then must wait.
  let answer = () => {};
  const locked = new Promise<void>((r) => {
    answer = r;
  });
  const hook = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      posts++;
      await locked;
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/`;
  try {
    await insertFlow(store.db, flowRow("000000000000", "f"));
    await createRun(
      store.db,
      store.caps,
      {
        executionId: "r1",
        accountId: "000000000000",
        flowName: "f",
        flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/f",
        triggerType: "OnDemand",
        flowSnapshot: JSON.stringify({
          flowName: "f",
          sourceFlowConfig: { connectorType: "S3" },
          destinationFlowConfigList: [{ connectorType: "S3" }],
        }),
        now: Date.now(),
      },
      1000,
    );
    // The claim is taken before the lock; the mark after the POST blocks on it and is then terminated.
    await locker.query("BEGIN");
    const deliverer = new OutboxDeliverer(
      store,
      [url],
      Date.now,
      createLogger(process.env.SLUICE_TEST_LOG ?? "silent"),
    );
    const lockAfterClaim = async () => {
      await waitFor(async () => posts > 0, "the report to go out");
      await locker.query(`LOCK TABLE "${schema}".outbox IN ACCESS EXCLUSIVE MODE`);
      answer();
    };
    const tick = deliverer.tick();
    await lockAfterClaim();
    const blocked = () =>
      admin
        .query(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND query ILIKE 'update%'",
          [app],
        )
        .then((r) => r.rows as { pid: number }[]);
    const [mark] = await waitFor(async () => {
      const rows = await blocked();
      return rows.length > 0 ? rows : undefined;
    }, "the delivered mark to block on the lock");
    await admin.query("SELECT pg_terminate_backend($1)", [mark?.pid]);
    // The retry (a new connection) blocks on the lock again; then the database "comes back".
    await waitFor(async () => (await blocked()).some((r) => r.pid !== mark?.pid), "the mark to be retried");
    await locker.query("ROLLBACK");
    await tick;
    const row = await admin.query(`SELECT delivered_at, attempts FROM "${schema}".outbox`);
    assert.equal(row.rows.length, 1);
    assert.notEqual(
      row.rows[0].delivered_at,
      null,
      "recorded delivered, not failed (it would be sent again)",
    );
    assert.equal(row.rows[0].attempts, 0);
    assert.equal(posts, 1);
  } finally {
    await locker.end();
    await admin.end();
    await new Promise((r) => hook.close(r));
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema(schema);
  }
});

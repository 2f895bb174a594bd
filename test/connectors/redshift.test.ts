import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createRedshiftDestination } from "../../src/connectors/redshift/redshift-destination.ts";
import type { RedshiftDestinationProperties } from "../../src/connectors/redshift/shapes.ts";
import { openObjectStore } from "../../src/connectors/s3/open-object-store.ts";
import type { ConnectorEnvironment, ResolvedProfile, RunContext } from "../../src/connectors/types.ts";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import { type ContextOptions, connectorContext } from "../helpers/connector-context.ts";
import { readAll } from "./s3-backends.ts";

const suffix = randomBytes(4).toString("hex");
const schema = `sluice_rs_${suffix}`;
const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
const sig = () => AbortSignal.timeout(60_000);
let dataDir: string;
let env: ConnectorEnvironment;

const profile = (
  username = "postgres",
  password = "not-checked-by-trust-auth",
  url = "jdbc:redshift://127.0.0.1:5432/test",
): ResolvedProfile => ({
  connectorProfileName: "rs",
  connectorType: "Redshift",
  properties: { databaseUrl: url },
  credentials: { username, password },
});

function ctx(executionId: string): RunContext {
  return {
    executionId,
    startedAt: new Date(),
    env,
    flow: {
      flowName: "to-redshift",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/to-redshift",
      accountId: "000000000000",
      region: "us-east-1",
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: {} },
      destinationFlowConfigList: [],
      tasks: [],
      schemaVersion: 1,
    },
  };
}

async function makeTable(name: string): Promise<string> {
  await admin.query(`CREATE TABLE ${schema}.${name} (id integer PRIMARY KEY, name text, note text)`);
  return `${schema}.${name}`;
}

function open(
  object: string,
  extra: Partial<RedshiftDestinationProperties> = {},
  executionId = "e1",
  o: ContextOptions = {},
) {
  return createRedshiftDestination(
    {
      connectorType: "Redshift",
      destinationConnectorProperties: { Redshift: { object, intermediateBucketName: "rs-stage", ...extra } },
    },
    connectorContext(ctx(executionId), { profile: profile(), ...o }),
  ).open();
}

async function rows(table: string) {
  return (await admin.query(`SELECT id, name, note FROM ${table} ORDER BY id`)).rows;
}

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("Redshift destination on PostgreSQL", () => {
  before(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-rs-"));
    env = {
      dataDir,
      s3: {},
      redshiftBatchRows: 3,
      sourceParallelism: 1,
      batchRows: 100,
      connectors: { Redshift: { batchAttempts: 3, batchRetryMs: 20 } },
    };
    await openObjectStore(env).createBucket("rs-stage", sig());
    await openObjectStore(env).createBucket("rs-errors", sig());
  });
  after(async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("rows go in as batches of redshiftBatchRows, each in its own transaction; values and nulls kept", async () => {
    const table = await makeTable("t_batches");
    const w = await open(table);
    const fields = ["id", "name", "note"];
    // A write returns while its full batches load; what it reports is only what has committed.
    let p = await w.write({
      fields,
      rows: [
        [1, "a", null],
        [2, "", 'q"uote, comma'],
        [3, "c", "multi\nline"],
        [4, "d", "\\."],
      ],
      bytes: 0,
    });
    assert.ok(p.recordsWritten === 0 || p.recordsWritten === 3); // the 4th row waits for a full batch
    p = await w.write({
      fields,
      rows: [
        [5, "e", "tab\there, cr\r and \\N\\"],
        [6, "f", "y"],
        [7, "g", "z"],
      ],
      bytes: 0,
    });
    assert.ok(p.recordsWritten <= 6);
    assert.ok(p.recordsWritten <= (await rows(table)).length, "never more counted than committed");
    const fin = await w.finish();
    assert.equal(fin.recordsWritten, 7);
    assert.equal(fin.putFailures, 0);
    const got = await rows(table);
    assert.equal(got.length, 7);
    assert.deepEqual(got[0], { id: 1, name: "a", note: null });
    assert.deepEqual(got[1], { id: 2, name: "", note: 'q"uote, comma' });
    assert.deepEqual(got[2], { id: 3, name: "c", note: "multi\nline" });
    assert.deepEqual(got[3], { id: 4, name: "d", note: "\\." });
    assert.deepEqual(got[4], { id: 5, name: "e", note: "tab\there, cr\r and \\N\\" });
    const tx = await admin.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM ${table}`);
    assert.equal(tx.rows[0].n, 3);
  });

  test("failOnFirstDestinationError: the first rejected batch fails the run with the database message", async () => {
    const table = await makeTable("t_failfast");
    const w = await open(table, { errorHandlingConfig: { failOnFirstDestinationError: true } });
    const fields = ["id", "name"];
    await w.write({
      fields,
      rows: [
        [1, "a"],
        [2, "b"],
        [3, "c"],
      ],
      bytes: 0,
    });
    // The failure of a batch loading in the background surfaces at the next write or at finish.
    await assert.rejects(
      (async () => {
        await w.write({
          fields,
          rows: [
            [4, "d"],
            ["not-a-number", "e"],
            [6, "f"],
          ],
          bytes: 0,
        });
        await w.finish();
      })(),
      (e: unknown) => {
        assert.ok(e instanceof ConnectorServerError);
        assert.match(e.message, /invalid input syntax for type integer/);
        assert.doesNotMatch(e.message, /COPY|FROM STDIN/);
        return true;
      },
    );
    await w.abort();
    assert.deepEqual(
      (await rows(table)).map((r) => r.id),
      [1, 2, 3],
    );
  });

  test("without failOnFirstDestinationError a rejected batch goes to the error bucket and counts as putFailures", async () => {
    const table = await makeTable("t_errors");
    const w = await open(
      table,
      { errorHandlingConfig: { bucketName: "rs-errors", bucketPrefix: "bad" } },
      "e-err",
    );
    const fields = ["id", "name"];
    await w.write({
      fields,
      rows: [
        [1, "a"],
        [2, "b"],
        [3, "c"],
        [3, "duplicate key"],
        [5, "e"],
        [6, "f"],
        [7, "g"],
      ],
      bytes: 0,
    });
    const fin = await w.finish();
    assert.equal(fin.recordsWritten, 4);
    assert.equal(fin.putFailures, 3);
    assert.deepEqual(
      (await rows(table)).map((r) => r.id),
      [1, 2, 3, 7],
    );
    const store = openObjectStore(env);
    const objects = await store.list("rs-errors", "", sig());
    assert.deepEqual(
      objects.map((o) => o.key),
      ["bad/to-redshift/e-err/rejected-00000.csv"],
    );
    assert.equal(
      (await readAll(store, "rs-errors", objects[0]!.key)).toString(),
      "id,name\n3,duplicate key\n5,e\n6,f\n",
    );
  });

  test("a batch field that is not a table column is a ConnectorServerError naming it; so is a missing table", async () => {
    const table = await makeTable("t_cols");
    const w = await open(table);
    await assert.rejects(w.write({ fields: ["id", "nope"], rows: [[1, "x"]], bytes: 0 }), (e: unknown) => {
      assert.ok(e instanceof ConnectorServerError);
      assert.match(e.message, /no column "nope"/);
      return true;
    });
    await w.abort();
    await assert.rejects(open(`${schema}.does_not_exist`), /does_not_exist does not exist/);
  });

  test("abort during a slow batch rolls that batch back; a slow batch without abort commits whole", async () => {
    const table = await makeTable("t_slow");
    await admin.query(`CREATE FUNCTION ${schema}.slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id >= 100 THEN PERFORM pg_sleep(CASE WHEN NEW.id >= 200 THEN 30 ELSE 0.2 END); END IF; RETURN NEW; END $$`);
    await admin.query(
      `CREATE TRIGGER slow BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.slow_row()`,
    );
    // The hard signal: what aborts a batch destination's commit in flight.
    const ctl = new AbortController();
    const w = await open(table, {}, "e1", { hardSignal: ctl.signal });
    const fields = ["id", "name"];
    // Slow (0.2 s a row) but not cancelled: committed whole.
    await w.write({
      fields,
      rows: [
        [1, "a"],
        [100, "b"],
        [101, "c"],
      ],
      bytes: 0,
    });
    await until(async () => (await rows(table)).length === 3, "the first batch to commit");
    await w.write({
      fields,
      rows: [
        [2, "x"],
        [200, "slow"],
        [201, "slower"],
      ],
      bytes: 0,
    });
    const writing = w.finish();
    writing.catch(() => {});
    await until(async () => {
      const r = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY %t_slow%' AND state = 'active'",
      );
      return r.rows.length > 0;
    }, "the COPY to be running");
    const t0 = Date.now();
    ctl.abort();
    await assert.rejects(writing, (e: unknown) => (e as Error).name === "AbortError");
    assert.ok(Date.now() - t0 < 5000, "the abort took too long");
    const p = await w.abort();
    assert.equal(p.recordsWritten, 3);
    await until(async () => {
      const r = await admin.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY %t_slow%'");
      return r.rows.length === 0;
    }, "the cancelled backend to go away");
    assert.deepEqual(
      (await rows(table)).map((r) => r.id),
      [1, 100, 101],
    );
  });

  test("a batch commits on a second connection while the one before it is still being copied", async () => {
    const table = await makeTable("t_overlap");
    // Rows with id >= 100 wait for a lock the test holds: that batch's COPY stays in flight until released.
    await admin.query(`CREATE FUNCTION ${schema}.gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id >= 100 THEN PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$`);
    await admin.query(
      `CREATE TRIGGER gate BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.gate()`,
    );
    await admin.query("SELECT pg_advisory_lock(4242)");
    try {
      const w = await open(table);
      const fields = ["id", "name"];
      const held = [100, 101, 102].map((id) => [id, "held"]);
      const free = [1, 2, 3].map((id) => [id, "free"]);
      await w.write({ fields, rows: held, bytes: 0 });
      const p = await w.write({ fields, rows: free, bytes: 0 });
      assert.ok(p.recordsWritten <= 3);
      await until(async () => (await rows(table)).length === 3, "the second batch to commit");
      assert.deepEqual(
        (await rows(table)).map((r) => r.id),
        [1, 2, 3],
      );
      const copying = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY %t_overlap%' AND state = 'active'",
      );
      assert.equal(copying.rows.length, 1, "the first batch is still being copied");
      await admin.query("SELECT pg_advisory_unlock(4242)");
      const fin = await w.finish();
      assert.equal(fin.recordsWritten, 6);
      const tx = await admin.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM ${table}`);
      assert.equal(tx.rows[0].n, 2);
    } finally {
      await admin.query("SELECT pg_advisory_unlock_all()");
    }
  });

  /** A table whose rows with id >= 100 take `seconds` each to insert, so a COPY stays in flight. */
  async function slowTable(name: string, seconds: number): Promise<string> {
    const table = await makeTable(name);
    await admin.query(`CREATE FUNCTION ${schema}.${name}_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id >= 100 THEN PERFORM pg_sleep(${seconds}); END IF; RETURN NEW; END $$`);
    await admin.query(
      `CREATE TRIGGER slow BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.${name}_slow()`,
    );
    return table;
  }

  /**
   * Terminates the backend running a COPY into `name` (only that one: the table is this test's own).
   * Returns the pids signalled: a terminated backend can still show as active for a moment.
   */
  async function killCopy(name: string): Promise<number[]> {
    const r = await admin.query(
      `SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()`,
      [`COPY %${schema}%${name}%`],
    );
    return r.rows.map((x) => x.pid as number);
  }

  test("issue 8 defect 1: a backend killed mid-COPY is a lost connection, not rejected rows: the batch is sent again, once", async () => {
    const table = await slowTable("t_kill", 0.3);
    const w = await open(table, { errorHandlingConfig: { bucketName: "rs-errors", bucketPrefix: "kill" } });
    await w.write({
      fields: ["id", "name"],
      rows: [
        [100, "a"],
        [101, "b"],
        [102, "c"],
      ],
      bytes: 0,
    });
    const writing = w.finish();
    writing.catch(() => {});
    await until(async () => (await killCopy("t_kill")).length > 0, "the COPY to be running, to kill it");
    const fin = await writing;
    assert.deepEqual(fin, { recordsWritten: 3, bytesWritten: fin.bytesWritten, putFailures: 0 });
    assert.deepEqual(
      (await rows(table)).map((r) => r.id),
      [100, 101, 102],
    );
    assert.deepEqual(await openObjectStore(env).list("rs-errors", "kill/", sig()), []);
  });

  test("issue 8 defect 1: killed on every attempt, the write fails saying what happened; nothing counted or written", async () => {
    const table = await slowTable("t_kill_all", 0.3);
    const w = await open(table, {
      errorHandlingConfig: { bucketName: "rs-errors", bucketPrefix: "killall" },
    });
    let settled = false;
    await w.write({
      fields: ["id", "name"],
      rows: [
        [100, "a"],
        [101, "b"],
        [102, "c"],
      ],
      bytes: 0,
    });
    const writing = w.finish();
    writing.catch(() => {}).finally(() => (settled = true));
    const killed = new Set<number>();
    while (!settled) {
      for (const pid of await killCopy("t_kill_all")) killed.add(pid);
      await new Promise((r) => setTimeout(r, 20));
    }
    await assert.rejects(writing, (e: unknown) => {
      assert.ok(e instanceof ConnectorServerError, String(e));
      assert.match(e.message, /failed 3 times and was not written/);
      assert.match(e.message, /terminating connection due to administrator command \(SQLSTATE 57P01\)/);
      return true;
    });
    assert.equal(killed.size, 3, "one backend killed per attempt");
    const after = await w.abort();
    assert.deepEqual(after, { recordsWritten: 0, bytesWritten: 0, putFailures: 0 });
    assert.deepEqual(await rows(table), []);
    assert.deepEqual(await openObjectStore(env).list("rs-errors", "killall/", sig()), []);
  });
});

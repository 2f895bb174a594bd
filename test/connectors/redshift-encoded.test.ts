/**
 * The Redshift destination over COPY FROM STDIN (real PostgreSQL) taking records already encoded as COPY
 * text (writeEncoded, the fast path): the same tables, transactions and counts as write() of the same rows.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import pg from "pg";
import { copyText } from "../../src/connectors/redshift/copy-batch.ts";
import { createRedshiftDestination } from "../../src/connectors/redshift/redshift-destination.ts";
import type { RedshiftDestinationProperties } from "../../src/connectors/redshift/shapes.ts";
import { openObjectStore } from "../../src/connectors/s3/open-object-store.ts";
import type {
  ConnectorEnvironment,
  DestinationWriter,
  EncodedRecords,
  FieldValue,
  RunContext,
} from "../../src/connectors/types.ts";
import { ConnectorServerError } from "../../src/domain/errors.ts";
import { type ContextOptions, connectorContext } from "../helpers/connector-context.ts";
import { readAll } from "./s3-backends.ts";

const suffix = randomBytes(4).toString("hex");
const schema = `sluice_rse_${suffix}`;
const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
const sig = () => AbortSignal.timeout(60_000);
let dataDir: string;
let env: ConnectorEnvironment;
/** Writers a test opened: closed after it even when it fails, so their connections don't keep the process up. */
const opened: DestinationWriter[] = [];

function ctx(executionId: string): RunContext {
  return {
    executionId,
    startedAt: new Date(),
    env,
    flow: {
      flowName: "to-pg",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/to-pg",
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

async function open(
  object: string,
  extra: Partial<RedshiftDestinationProperties> = {},
  executionId = "e1",
  o: ContextOptions = {},
): Promise<DestinationWriter> {
  const profile = {
    connectorProfileName: "pg",
    connectorType: "Redshift",
    properties: { databaseUrl: "postgres://127.0.0.1:5432/test" },
    credentials: { username: "postgres", password: "trust" },
  };
  const w = await createRedshiftDestination(
    {
      connectorType: "Redshift",
      destinationConnectorProperties: { Redshift: { object, intermediateBucketName: "pg-stage", ...extra } },
    },
    connectorContext(ctx(executionId), { profile, ...o }),
  ).open();
  opened.push(w);
  return w;
}

/**
 * What the transcoder hands a destination: copyText()'s lines for `fields`, in chunks of up to 3
 * records (the fast path hands a batch over as the pieces it was transcoded in).
 */
function encoded(fields: string[], rows: FieldValue[][]): EncodedRecords {
  const lines = rows.map((r) => Buffer.byteLength(copyText([r])));
  const chunks = [];
  for (let i = 0; i < rows.length; i += 3) {
    const part = rows.slice(i, i + 3);
    chunks.push({ data: Buffer.from(copyText(part)), records: part.length });
  }
  return {
    fields,
    chunks,
    records: rows.length,
    bytes: 0,
    longestRecord: Math.max(0, ...lines),
  };
}

async function makeTable(name: string): Promise<string> {
  await admin.query(`CREATE TABLE ${schema}.${name} (id integer PRIMARY KEY, name text, note text)`);
  return `${schema}.${name}`;
}

async function contents(table: string) {
  const rows = (await admin.query(`SELECT id, name, note FROM ${table} ORDER BY id`)).rows;
  const tx = await admin.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM ${table}`);
  return { rows, transactions: tx.rows[0].n as number };
}

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** 17 rows in the table's columns out of order, with every value COPY text escapes, and NULLs. */
const fields = ["note", "id", "name"];
const odd = ["", "tab\there", "multi\nline", "cr\r", "back\\slash", "\\N", "\\.", "ünï", null];
const sample: FieldValue[][] = Array.from({ length: 17 }, (_, i) => [odd[i % odd.length]!, i + 1, `n${i}`]);

describe("Redshift destination on PostgreSQL: records encoded as COPY text", () => {
  before(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-rse-"));
    env = {
      dataDir,
      s3: {},
      redshiftBatchRows: 4,
      sourceParallelism: 1,
      batchRows: 100,
      connectors: { Redshift: { batchAttempts: 3, batchRetryMs: 20 } },
    };
    await openObjectStore(env).createBucket("pg-stage", sig());
    await openObjectStore(env).createBucket("pg-errors", sig());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((w) => w.abort()));
  });
  after(async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("the same records through write() and writeEncoded give the same table, transactions and counts", async () => {
    const viaRows = await makeTable("t_rows");
    const viaText = await makeTable("t_text");
    const a = await open(viaRows);
    const b = await open(viaText);
    assert.equal(b.encodedFormat, "copy-text");
    assert.ok(b.writeEncoded);
    // Pieces that don't line up with the batches of 4: a batch is cut inside a piece and inside a chunk,
    // and filled from several of each.
    for (const [from, to] of [
      [0, 1],
      [1, 7],
      [7, 8],
      [8, 8],
      [8, 17],
    ] as const) {
      const rows = sample.slice(from, to);
      await a.write({ fields, rows, bytes: 0 });
      const p = await b.writeEncoded(encoded(fields, rows));
      assert.ok(
        p.recordsWritten <= (await contents(viaText)).rows.length,
        "never more counted than committed",
      );
    }
    const [finRows, finText] = [await a.finish(), await b.finish()];
    assert.deepEqual(finText, finRows);
    assert.equal(finText.recordsWritten, 17);
    const got = await contents(viaText);
    assert.deepEqual(got, await contents(viaRows));
    assert.equal(got.transactions, 5); // 4 + 4 + 4 + 4 + 1
    assert.deepEqual(got.rows[5], { id: 6, name: "n5", note: "\\N" });
    assert.deepEqual(got.rows[8], { id: 9, name: "n8", note: null });
  });

  test("rows from write() and encoded records mix in one batch, in the order they came", async () => {
    // `at` numbers the rows in the order they were inserted.
    await admin.query(
      `CREATE TABLE ${schema}.t_mixed (at serial, id integer PRIMARY KEY, name text, note text)`,
    );
    const table = `${schema}.t_mixed`;
    const w = await open(table);
    await w.write({ fields, rows: sample.slice(0, 3), bytes: 0 });
    await w.writeEncoded!(encoded(fields, sample.slice(3, 6)));
    await w.write({ fields, rows: sample.slice(6, 7), bytes: 0 });
    const fin = await w.finish();
    assert.equal(fin.recordsWritten, 7);
    const inserted = await admin.query(`SELECT id FROM ${table} ORDER BY at`);
    assert.deepEqual(
      inserted.rows.map((r) => r.id),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal((await contents(table)).transactions, 2);
  });

  test("encoded records are checked against the table's columns as write()'s are", async () => {
    const table = await makeTable("t_cols");
    const w = await open(table);
    await assert.rejects(w.writeEncoded!(encoded(["id", "nope"], [[1, "x"]])), (e: unknown) => {
      assert.ok(e instanceof ConnectorServerError);
      assert.match(e.message, /no column "nope"/);
      return true;
    });
    await w.abort();
    const v = await open(table);
    await v.writeEncoded!(encoded(["id", "name"], [[1, "x"]]));
    await assert.rejects(v.writeEncoded!(encoded(["name", "id"], [["y", 2]])), /same fields/);
    await v.abort();
  });

  test("a rejected batch is decoded back for the error bucket and counted in putFailures", async () => {
    const table = await makeTable("t_errors");
    const w = await open(
      table,
      { errorHandlingConfig: { bucketName: "pg-errors", bucketPrefix: "bad" } },
      "e-err",
    );
    const rows: FieldValue[][] = [
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
      [5, "e"],
      [5, "dup\tkey"],
      [7, null],
      [8, "multi\nline"],
      [9, "i"],
    ];
    await w.writeEncoded!(encoded(["id", "name"], rows));
    const fin = await w.finish();
    assert.equal(fin.recordsWritten, 5);
    assert.equal(fin.putFailures, 4);
    assert.deepEqual(
      (await contents(table)).rows.map((r) => r.id),
      [1, 2, 3, 4, 9],
    );
    const store = openObjectStore(env);
    const objects = await store.list("pg-errors", "bad/", sig());
    assert.deepEqual(
      objects.map((o) => o.key),
      ["bad/to-pg/e-err/rejected-00000.csv"],
    );
    assert.equal(
      (await readAll(store, "pg-errors", objects[0]!.key)).toString(),
      'id,name\n5,e\n5,dup\tkey\n7,\n8,"multi\nline"\n',
    );
  });

  test("cancelled mid-run: the batches in flight commit whole, none starts after, counts are what committed", async () => {
    const table = await makeTable("t_cancel");
    // Rows with id >= 100 wait for a lock the test holds, so their batches stay in flight.
    await admin.query(`CREATE FUNCTION ${schema}.gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id >= 100 THEN PERFORM pg_advisory_xact_lock_shared(4343); END IF; RETURN NEW; END $$`);
    await admin.query(
      `CREATE TRIGGER gate BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.gate()`,
    );
    await admin.query("SELECT pg_advisory_lock(4343)");
    try {
      const soft = new AbortController();
      const w = await open(table, {}, "e-cancel", { signal: soft.signal, hardSignal: sig() });
      const ids = [1, 2, 3, 4, ...[100, 101, 102, 103, 104, 105, 106, 107], 5, 6, 7, 8, 9, 10];
      // One call: a batch that commits, two held in flight (one per connection), then two waiting.
      const writing = w.writeEncoded!(
        encoded(
          ["id", "name"],
          ids.map((id) => [id, `r${id}`]),
        ),
      );
      writing.catch(() => {});
      await until(async () => {
        const r = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY %t_cancel%' AND state = 'active'",
        );
        return r.rows.length === 2 && (await contents(table)).rows.length === 4;
      }, "the first batch to commit and the next two to be in flight");
      soft.abort();
      await admin.query("SELECT pg_advisory_unlock(4343)");
      const p = await writing;
      assert.ok(p.recordsWritten <= 12);
      const fin = await w.abort();
      assert.deepEqual(fin, { recordsWritten: 12, bytesWritten: fin.bytesWritten, putFailures: 0 });
      const got = await contents(table);
      assert.deepEqual(
        got.rows.map((r) => r.id),
        ids.slice(0, 12).sort((x, y) => x - y),
      );
      assert.equal(got.transactions, 3);
    } finally {
      await admin.query("SELECT pg_advisory_unlock_all()");
    }
  });
});

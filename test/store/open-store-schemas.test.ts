/**
 * Opening a PostgreSQL store while other schemas of the same database are created and dropped (other
 * tenants, other tests). Kysely's introspector, which the migrator asks whether its tables exist,
 * read every schema and looked each one up by name: a schema dropped during that query failed the
 * open with `schema "…" does not exist` (seen in force-cancel and outbox-claims, the schema being
 * crash-recovery's). The store's introspector looks at its own schema only.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import pg from "pg";
import { PG_URL } from "../helpers/backends.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

const skip = await pgSkipReason("postgres");

test("a store opens while other schemas of its database are being dropped", { skip }, async () => {
  let stop = false;
  let dropped = 0;
  // Three connections create and drop schemas (a table with a serial column in each) without pause.
  const churn = async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      while (!stop) {
        const schema = `x_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
        await c.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id serial, v text)`);
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
        dropped++;
      }
    } finally {
      await c.end();
    }
  };
  const churners = [churn(), churn(), churn()];
  const failures: string[] = [];
  try {
    for (let i = 0; i < 25; i++) {
      try {
        const { done } = await freshStore("postgres");
        await done();
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  } finally {
    stop = true;
    await Promise.all(churners);
  }
  assert.ok(dropped > 0, "schemas were dropped meanwhile");
  assert.deepEqual(
    failures,
    [],
    `${failures.length} of 25 opens failed while ${dropped} schemas were dropped`,
  );
});

/**
 * runs.record_json, the ExecutionRecord text the database keeps for each run (record-json-sql.ts),
 * stays what toWireJson() writes for the row through every kind of change, on both backends; and the
 * migration's installRecordJson() writes it for runs stored before the triggers existed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { toWireJson } from "../../src/api/protocol/serialize.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import type { Store } from "../../src/store/open-store.ts";
import { listRuns } from "../../src/store/runs/list-runs.ts";
import { installRecordJson } from "../../src/store/runs/record-json-sql.ts";
import { runRecordsPage } from "../../src/store/runs/records-page.ts";
import type { RunsTable } from "../../src/store/schema.ts";
import { A, executionRecord, NASTY, run } from "../helpers/api-page-rows.ts";
import { backends } from "../helpers/backends.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

/** The flow's whole history in one page, against the JSON of its rows. */
async function assertRecordsMatch(store: Store, why: string): Promise<void> {
  const page = await runRecordsPage(store.db, store.caps.dialect, A, "f", 1000);
  const rows = await listRuns(store.db, A, "f", 1000);
  assert.ok(rows.length > 0);
  assert.equal(`[${page.items}]`, toWireJson(rows.map(executionRecord)), why);
}

/** Changes of every column the record shows, and of one it doesn't, in turn. */
const CHANGES: ((i: number) => Partial<RunsTable>)[] = [
  (i) => ({ status: (["Successful", "Error", "CancelStarted", "Canceled", "InProgress"] as const)[i % 5]! }),
  (i) => ({ records_processed: i * 7, bytes_processed: i * 2 ** 33, bytes_written: i }),
  (i) => ({ put_failures: i % 3 }),
  (i) => ({ error_message: i % 2 ? null : `${NASTY} changed ${i}` }),
  (i) => ({ num_parallel: i % 2 ? 2 : null, max_page_size: i % 2 ? null : 250 }),
  (i) => ({ updated_at: 1_800_000_000_000 + i * 111 }),
  (i) => ({
    data_pull_start: i % 3 ? null : 1_800_000_000_001,
    started_at: i % 2 ? 1_800_000_000_500 : null,
  }),
  (i) => ({ data_pull_end: i % 2 ? 1_800_000_000_999 : null }),
  (i) => ({ created_at: 1_750_000_000_000 + i * 1001 }),
  (i) => ({ lease_owner: `node-${i}`, lease_expires_at: i }),
];

for (const backend of backends) {
  describe(`the stored ExecutionRecord of each run (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("follows every change to its run", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await insertFlow(store.db, flowRow(A, "f"));
        const runs = Array.from({ length: 30 }, (_, i) => run("f", i));
        await store.db.insertInto("runs").values(runs).execute();
        await assertRecordsMatch(store, "as inserted");
        for (const [k, change] of CHANGES.entries()) {
          for (const [i, r] of runs.entries())
            if ((i + k) % 3 !== 0)
              await store.db
                .updateTable("runs")
                .set(change(i + k))
                .where("execution_id", "=", r.execution_id)
                .execute();
          await assertRecordsMatch(store, `after change ${k}`);
        }
        // One statement over many rows, as a cancel of every run is.
        await store.db
          .updateTable("runs")
          .set({ status: "CancelStarted", updated_at: 1_900_000_000_123 })
          .execute();
        await assertRecordsMatch(store, "after a change of all rows");
      } finally {
        await done();
      }
    });

    test("is written by the migration for runs stored before it", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await insertFlow(store.db, flowRow(A, "f"));
        // Runs as a store before migration 0104 holds them: no triggers, no record_json.
        const drops =
          backend === "sqlite"
            ? ["DROP TRIGGER runs_record_json_insert", "DROP TRIGGER runs_record_json_update"]
            : ["DROP TRIGGER runs_record_json ON runs"];
        for (const d of drops) await sql.raw(d).execute(store.db);
        await store.db
          .insertInto("runs")
          .values(Array.from({ length: 12 }, (_, i) => run("f", i)))
          .execute();
        const before = await runRecordsPage(store.db, store.caps.dialect, A, "f", 100);
        assert.equal(before.items, ",".repeat(11), "no record is written without the triggers");
        await installRecordJson(store.db, store.caps.dialect);
        await assertRecordsMatch(store, "after the migration");
        await store.db.insertInto("runs").values(run("f", 50)).execute();
        await store.db.updateTable("runs").set({ status: "Error", put_failures: 1 }).execute();
        await assertRecordsMatch(store, "the triggers are back");
      } finally {
        await done();
      }
    });
  });
}

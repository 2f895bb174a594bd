/**
 * The hot list pages the database writes as JSON (DescribeFlowExecutionRecords, ListFlows) are byte
 * for byte what the handlers wrote before from rows (toWireJson over JS objects; the mapping below
 * is that code), on both backends: omitted nulls, epoch seconds with fractions, escapes, tag order,
 * the latest run of each flow, and the page boundaries.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { toWireJson } from "../../src/api/protocol/serialize.ts";
import { flowSummariesPage } from "../../src/store/flows-page.ts";
import { insertFlow } from "../../src/store/flows-sql.ts";
import { jsonEpochSeconds } from "../../src/store/json-sql.ts";
import { latestRun, listRuns } from "../../src/store/runs/list-runs.ts";
import { runRecordsPage } from "../../src/store/runs/records-page.ts";
import type { RunsTable } from "../../src/store/schema.ts";
import { getTags, putTags } from "../../src/store/tags-sql.ts";
import { A, B, executionRecord, flowSummary, NASTY, run } from "../helpers/api-page-rows.ts";
import { backends } from "../helpers/backends.ts";
import { flowRow, freshStore, pgSkipReason } from "../helpers/store.ts";

for (const backend of backends) {
  describe(`list pages written by the database (${backend})`, async () => {
    const skip = await pgSkipReason(backend);

    test("epoch seconds are what JS prints for ms / 1000", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const values = [0, 1, 10, 100, 999, 1000, 1001, 1010, 1100, -1, -10, -999, -1000, -1001, -1500];
        values.push(1_700_000_000_000, 1_700_000_000_500, 9_999_999_999_999, 10_000_000_000_001, 2 ** 49 + 7);
        for (let i = 0; i < 3000; i++) values.push(Math.floor(Math.random() * 1.2e13) - 1e12);
        for (let i = 0; i < 300; i++) values.push(Math.floor(Math.random() * 2 ** 53) - 2 ** 52);
        const d = store.caps.dialect;
        const rows =
          d === "sqlite"
            ? await sql<{
                v: number;
                t: string;
              }>`SELECT x AS v, CAST(${sql.raw(jsonEpochSeconds(d, "x"))} AS TEXT) AS t
                FROM (SELECT CAST(value AS INTEGER) AS x FROM json_each(${JSON.stringify(values)}))`.execute(
                store.db,
              )
            : await sql<{
                v: number;
                t: string;
              }>`SELECT x AS v, CAST(${sql.raw(jsonEpochSeconds(d, "x"))} AS TEXT) AS t
                FROM unnest(CAST(${values} AS bigint[])) AS x`.execute(store.db);
        assert.equal(rows.rows.length, values.length);
        for (const r of rows.rows) assert.equal(r.t, String(Number(r.v) / 1000), `${r.v}`);
      } finally {
        await done();
      }
    });

    test("DescribeFlowExecutionRecords pages are the JSON of the rows, page by page", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        await insertFlow(store.db, flowRow(A, "f"));
        const runs = Array.from({ length: 60 }, (_, i) => run("f", i));
        // Ties in one millisecond: the keyset order (and a page boundary between them) by id.
        runs.push(run("f", 100, { execution_id: "tie-a", created_at: runs[30]!.created_at }));
        runs.push(run("f", 101, { execution_id: "tie-b", created_at: runs[30]!.created_at }));
        runs.push(run("g", 1), { ...run("f", 102), account_id: B, execution_id: "other-account" });
        await store.db.insertInto("runs").values(runs).execute();

        for (const limit of [1, 7, 31, 100]) {
          let after: { createdAt: number; executionId: string } | undefined;
          let seen = 0;
          for (;;) {
            const page = await runRecordsPage(store.db, store.caps.dialect, A, "f", limit, after);
            const rows = await listRuns(store.db, A, "f", limit + 1, after);
            const expected = rows.slice(0, limit);
            assert.equal(`[${page.items}]`, toWireJson(expected.map(executionRecord)), `limit ${limit}`);
            seen += expected.length;
            const last = expected.at(-1);
            if (rows.length <= limit) {
              assert.equal(page.next, undefined);
              break;
            }
            assert.deepEqual(page.next, { createdAt: last!.created_at, executionId: last!.execution_id });
            after = page.next;
          }
          assert.equal(seen, 62, `every run of the flow once (limit ${limit})`);
        }
        const none = await runRecordsPage(store.db, store.caps.dialect, A, "nothing", 10);
        assert.deepEqual(none, { items: "" });
      } finally {
        await done();
      }
    });

    test("ListFlows pages are the JSON of flows, tags and latest runs, page by page", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const t0 = 1_700_000_000_000;
        const names = Array.from({ length: 23 }, (_, i) => `flow-${String(i).padStart(2, "0")}`);
        for (const [i, name] of names.entries()) {
          await insertFlow(store.db, {
            ...flowRow(A, name, t0 + i * 333),
            description: i % 3 === 0 ? null : i % 3 === 1 ? `${NASTY} ${i}` : "",
            updated_at: t0 + i * 1000,
            flow_status: i % 2 ? "Active" : "Suspended",
          });
          // Keys that are array indices come first in a JS object, in numeric order.
          const tags: Record<string, string> =
            i % 4 === 0
              ? {}
              : {
                  b: "2",
                  a: `x ${i}\n\ty`,
                  "10": "ten",
                  "2": "two",
                  "0": "zero",
                  "01": "not an index",
                  "4294967294": "largest index",
                  "4294967295": "not an index either",
                  "Z:/.=+-_": "punctuation",
                };
          await putTags(store.db, A, `arn:aws:appflow:us-east-1:${A}:flow/${name}`, tags);
        }
        // The other account's flow of the same name and its tags stay out.
        await insertFlow(store.db, flowRow(B, "flow-00"));
        await putTags(store.db, B, `arn:aws:appflow:us-east-1:${B}:flow/flow-00`, { b: "other" });
        const runs: RunsTable[] = [];
        for (const [i, name] of names.entries())
          if (i % 5 !== 2) for (let k = 0; k < (i % 4) + 1; k++) runs.push(run(name, i * 10 + k));
        // Two latest runs in one millisecond: the higher id is the latest.
        runs.push(run("flow-01", 900, { execution_id: "flow-01-z", created_at: t0 + 10 ** 7 }));
        runs.push(run("flow-01", 901, { execution_id: "flow-01-y", created_at: t0 + 10 ** 7 }));
        runs.push({ ...run("flow-03", 902), account_id: B, created_at: t0 + 10 ** 8 });
        await store.db.insertInto("runs").values(runs).execute();

        for (const limit of [1, 4, 23, 100]) {
          let after: string | undefined;
          let seen = 0;
          for (;;) {
            const page = await flowSummariesPage(store.db, store.caps.dialect, A, limit, after);
            let q = store.db.selectFrom("flows").selectAll().where("account_id", "=", A);
            if (after !== undefined) q = q.where("flow_name", ">", after);
            const rows = await q
              .orderBy("flow_name")
              .limit(limit + 1)
              .execute();
            const expected = [];
            for (const row of rows.slice(0, limit))
              expected.push(
                flowSummary(
                  row,
                  await getTags(store.db, A, row.flow_arn),
                  await latestRun(store.db, A, row.flow_name),
                ),
              );
            assert.equal(`[${page.items}]`, toWireJson(expected), `limit ${limit} after ${after}`);
            seen += expected.length;
            if (rows.length <= limit) {
              assert.equal(page.next, undefined);
              break;
            }
            assert.equal(page.next, rows[limit - 1]!.flow_name);
            after = page.next;
          }
          assert.equal(seen, names.length);
        }
        const [, , second] = (await flowSummariesPage(store.db, store.caps.dialect, A, 2)).items.split(
          '{"flowArn"',
        );
        assert.ok(second?.includes('"tags":{"0":"zero","2":"two","10":"ten","4294967294":"largest index",'));
        const details = (
          JSON.parse(`{"flowArn"${second!.replace(/,$/, "")}`) as Record<string, Record<string, string>>
        ).lastRunExecutionDetails;
        assert.equal(
          details?.mostRecentExecutionStatus,
          run("flow-01", 900).status,
          "the higher id of a tie",
        );
        assert.deepEqual(await flowSummariesPage(store.db, store.caps.dialect, "333333333333", 5), {
          items: "",
        });
      } finally {
        await done();
      }
    });
  });
}

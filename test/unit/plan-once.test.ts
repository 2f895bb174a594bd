import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import SQLite from "better-sqlite3";
import { planOnce } from "../../src/store/open-store.ts";

test("planOnce writes every bound LIMIT as +?, whatever its case, and nothing else", () => {
  assert.equal(planOnce("select a from t where b = ? limit ?"), "select a from t where b = ? limit +?");
  assert.equal(
    planOnce("SELECT a FROM t ORDER BY a LIMIT ? OFFSET ?"),
    "SELECT a FROM t ORDER BY a LIMIT +? OFFSET ?",
  );
  assert.equal(planOnce("select (select 1 limit ?) limit ?"), "select (select 1 limit +?) limit +?");
  assert.equal(planOnce("select a from t limit 5"), "select a from t limit 5");
  assert.equal(planOnce("select unlimit ? from t"), "select unlimit ? from t");
});

test("a +? limit limits the rows as the bound value says, at every rebinding", () => {
  const dir = mkdtempSync(join(tmpdir(), "plan-once-"));
  const db = new SQLite(join(dir, "x.db"));
  try {
    db.exec("CREATE TABLE t (a INTEGER)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 10; i++) insert.run(i);
    const stmt = db.prepare(planOnce("SELECT a FROM t ORDER BY a DESC LIMIT ?")).pluck();
    for (const n of [3, 3, 0, 7, 10, 12])
      assert.deepEqual(stmt.all(n), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0].slice(0, n));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

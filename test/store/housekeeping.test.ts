/** Housekeeping deletes expired clientToken records, long-delivered run reports and idle staging files, nothing else. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Housekeeping } from "../../src/engine/housekeeping.ts";
import { createLogger } from "../../src/logger.ts";
import { backends } from "../helpers/backends.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

const DAY = 86_400_000;

for (const backend of backends) {
  describe(`housekeeping (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    test("expired tokens and old delivered reports go; the rest stays", { skip }, async () => {
      const { store, done } = await freshStore(backend);
      const dataDir = mkdtempSync(join(tmpdir(), "sluice-hk-"));
      try {
        const now = 100 * DAY;
        const token = (client_token: string, created_at: number) => ({
          account_id: "000000000000",
          operation: "StartFlow",
          client_token,
          request_hash: "h",
          response: "{}",
          created_at,
        });
        await store.db
          .insertInto("idempotency")
          .values([token("old", now - DAY), token("fresh", now - 1000)])
          .execute();
        const event = (execution_id: string, delivered_at: number | null) => ({
          execution_id,
          account_id: "000000000000",
          detail_type: "AppFlow End Flow Run Report",
          payload: "{}",
          created_at: 0,
          attempts: 0,
          next_attempt_at: 0,
          delivered_at,
          last_error: null,
        });
        await store.db
          .insertInto("outbox")
          .values([event("old", now - 8 * DAY), event("recent", now - DAY), event("pending", null)])
          .execute();
        // Staging files of uploads a killed process left behind: an idle one goes, a fresh one stays.
        const staging = join(dataDir, "s3", ".staging");
        mkdirSync(join(staging, "idle"), { recursive: true });
        writeFileSync(join(staging, "idle", "part-1"), "x");
        utimesSync(join(staging, "idle"), (now - 2 * DAY) / 1000, (now - 2 * DAY) / 1000);
        mkdirSync(join(staging, "live"), { recursive: true });
        utimesSync(join(staging, "live"), (now - 1000) / 1000, (now - 1000) / 1000);
        await new Housekeeping(store, dataDir, 8 * 3600_000, () => now, createLogger("silent")).tick();
        assert.deepEqual(readdirSync(staging), ["live"]);
        const tokens = await store.db.selectFrom("idempotency").select("client_token").execute();
        assert.deepEqual(
          tokens.map((t) => t.client_token),
          ["fresh"],
        );
        const events = await store.db
          .selectFrom("outbox")
          .select("execution_id")
          .orderBy("execution_id")
          .execute();
        assert.deepEqual(
          events.map((e) => e.execution_id),
          ["pending", "recent"],
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        await done();
      }
    });
  });
}

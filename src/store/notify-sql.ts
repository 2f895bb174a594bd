/**
 * Cross-process signals through PostgreSQL NOTIFY, sent inside the transaction that causes them so
 * they are delivered exactly when it commits. SQLite has one process per data dir: nothing to send.
 */
import { type Kysely, sql } from "kysely";
import type { NotifyTopic, StoreCapabilities } from "./open-store.ts";
import type { Database } from "./schema.ts";

/** NOTIFY payloads are limited to 8000 bytes: ids go in chunks. */
const IDS_PER_MESSAGE = 100;

export async function notify(
  trx: Kysely<Database>,
  caps: StoreCapabilities,
  topic: NotifyTopic,
  ids: string[] = [],
): Promise<void> {
  if (!caps.channel) return;
  const channel = caps.channel(topic);
  if (ids.length === 0) {
    await sql`select pg_notify(${channel}, '')`.execute(trx);
    return;
  }
  for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
    const payload = JSON.stringify(ids.slice(i, i + IDS_PER_MESSAGE));
    await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
  }
}

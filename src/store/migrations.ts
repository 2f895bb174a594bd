/**
 * Versioned migrations, one list for both backends. Written with Kysely's schema builder so the same
 * code yields SQLite and PostgreSQL DDL; only the auto-increment key differs (a capability flag).
 */
import type { Kysely, Migration, MigrationProvider } from "kysely";
import { installRecordJson } from "./runs/record-json-sql.ts";

type Dialect = "sqlite" | "postgres";

function migrationsFor(dialect: Dialect): Record<string, Migration> {
  const big = dialect === "postgres" ? "bigint" : "integer";
  return {
    "0001_initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("flows")
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("flow_name", "text", (c) => c.notNull())
          .addColumn("flow_arn", "text", (c) => c.notNull())
          .addColumn("flow_status", "text", (c) => c.notNull())
          .addColumn("trigger_type", "text", (c) => c.notNull())
          .addColumn("source_type", "text", (c) => c.notNull())
          .addColumn("destination_type", "text", (c) => c.notNull())
          .addColumn("definition", "text", (c) => c.notNull())
          .addColumn("schema_version", "integer", (c) => c.notNull())
          .addColumn("created_at", big, (c) => c.notNull())
          .addColumn("updated_at", big, (c) => c.notNull())
          .addColumn("created_by", "text", (c) => c.notNull())
          .addColumn("last_updated_by", "text", (c) => c.notNull())
          .addColumn("row_version", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("flows_pk", ["account_id", "flow_name"])
          .execute();

        await db.schema
          .createTable("connector_profiles")
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("profile_name", "text", (c) => c.notNull())
          .addColumn("profile_arn", "text", (c) => c.notNull())
          .addColumn("connector_type", "text", (c) => c.notNull())
          .addColumn("connector_label", "text")
          .addColumn("connection_mode", "text", (c) => c.notNull())
          .addColumn("properties", "text", (c) => c.notNull())
          .addColumn("credentials_enc", "text", (c) => c.notNull())
          .addColumn("credentials_arn", "text", (c) => c.notNull())
          .addColumn("created_at", big, (c) => c.notNull())
          .addColumn("updated_at", big, (c) => c.notNull())
          .addPrimaryKeyConstraint("connector_profiles_pk", ["account_id", "profile_name"])
          .execute();

        await db.schema
          .createTable("tags")
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("resource_arn", "text", (c) => c.notNull())
          .addColumn("tag_key", "text", (c) => c.notNull())
          .addColumn("tag_value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("tags_pk", ["account_id", "resource_arn", "tag_key"])
          .execute();

        await db.schema
          .createTable("idempotency")
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("operation", "text", (c) => c.notNull())
          .addColumn("client_token", "text", (c) => c.notNull())
          .addColumn("request_hash", "text", (c) => c.notNull())
          .addColumn("response", "text", (c) => c.notNull())
          .addColumn("created_at", big, (c) => c.notNull())
          .addPrimaryKeyConstraint("idempotency_pk", ["account_id", "operation", "client_token"])
          .execute();

        await db.schema
          .createTable("runs")
          .addColumn("execution_id", "text", (c) => c.primaryKey())
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("flow_name", "text", (c) => c.notNull())
          .addColumn("flow_arn", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("trigger_type", "text", (c) => c.notNull())
          .addColumn("flow_snapshot", "text", (c) => c.notNull())
          .addColumn("created_at", big, (c) => c.notNull())
          .addColumn("updated_at", big, (c) => c.notNull())
          .addColumn("started_at", big)
          .addColumn("ended_at", big)
          .addColumn("data_pull_start", big)
          .addColumn("data_pull_end", big)
          .addColumn("records_processed", big, (c) => c.notNull().defaultTo(0))
          .addColumn("records_written", big, (c) => c.notNull().defaultTo(0))
          .addColumn("records_dropped", big, (c) => c.notNull().defaultTo(0))
          .addColumn("bytes_processed", big, (c) => c.notNull().defaultTo(0))
          .addColumn("bytes_written", big, (c) => c.notNull().defaultTo(0))
          .addColumn("put_failures", big, (c) => c.notNull().defaultTo(0))
          .addColumn("num_parallel", big)
          .addColumn("max_page_size", big)
          .addColumn("error_message", "text")
          .addColumn("claimed", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("lease_owner", "text")
          .addColumn("lease_expires_at", big)
          .addColumn("cancel_requested_at", big)
          .execute();
        await db.schema
          .createIndex("runs_by_flow")
          .on("runs")
          .columns(["account_id", "flow_name", "created_at", "execution_id"])
          .execute();
        await db.schema
          .createIndex("runs_by_status")
          .on("runs")
          .columns(["status", "claimed", "created_at"])
          .execute();

        const outbox = db.schema.createTable("outbox");
        await (dialect === "postgres"
          ? outbox.addColumn("id", "bigserial", (c) => c.primaryKey())
          : outbox.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        )
          .addColumn("execution_id", "text", (c) => c.notNull())
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("detail_type", "text", (c) => c.notNull())
          .addColumn("payload", "text", (c) => c.notNull())
          .addColumn("created_at", big, (c) => c.notNull())
          .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("next_attempt_at", big, (c) => c.notNull())
          .addColumn("delivered_at", big)
          .addColumn("last_error", "text")
          .execute();
        await db.schema
          .createIndex("outbox_pending")
          .on("outbox")
          .columns(["delivered_at", "next_attempt_at"])
          .execute();
      },
    },
    "0002_schedules": {
      async up(db: Kysely<unknown>) {
        // When a scheduled flow fires next, and the tick it fired last (the incremental window start).
        await db.schema.alterTable("flows").addColumn("next_fire_at", big).execute();
        await db.schema.alterTable("flows").addColumn("last_fired_at", big).execute();
        await db.schema
          .createIndex("flows_due")
          .on("flows")
          .columns(["trigger_type", "flow_status", "next_fire_at"])
          .execute();
      },
    },
    "0003_flow_description": {
      async up(db: Kysely<unknown>) {
        // ListFlows needs only the description: a column spares it parsing every flow's definition.
        await db.schema.alterTable("flows").addColumn("description", "text").execute();
        const k = db as unknown as Kysely<{
          flows: { account_id: string; flow_name: string; definition: string; description: string | null };
        }>;
        const rows = await k.selectFrom("flows").select(["account_id", "flow_name", "definition"]).execute();
        for (const r of rows) {
          const d = JSON.parse(r.definition) as { description?: string };
          if (d.description === undefined) continue;
          await k
            .updateTable("flows")
            .set({ description: d.description })
            .where("account_id", "=", r.account_id)
            .where("flow_name", "=", r.flow_name)
            .execute();
        }
      },
    },
    "0101_store_fences": {
      async up(db: Kysely<unknown>) {
        // The incremental watermark: how far the flow's source has been pulled by Successful runs.
        await db.schema
          .createTable("flow_watermarks")
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("flow_name", "text", (c) => c.notNull())
          .addColumn("pulled_until", big, (c) => c.notNull())
          .addPrimaryKeyConstraint("flow_watermarks_pk", ["account_id", "flow_name"])
          .execute();
        // An incremental run's window end: the watermark its success advances to.
        await db.schema.alterTable("runs").addColumn("watermark_to", big).execute();
        // Outbox deliveries are claimed by one node at a time; an expired claim is retaken.
        await db.schema.alterTable("outbox").addColumn("claimed_by", "text").execute();
        await db.schema.alterTable("outbox").addColumn("claim_expires_at", big).execute();
      },
    },
    "0102_event_subscriptions": {
      async up(db: Kysely<unknown>) {
        // One row per activated event flow: the replay id of the last event delivered by a Successful
        // batch run (null: none yet, subscribe for new events), and the node holding the subscriber.
        await db.schema
          .createTable("event_subscriptions")
          .addColumn("account_id", "text", (c) => c.notNull())
          .addColumn("flow_name", "text", (c) => c.notNull())
          .addColumn("replay_id", big)
          .addColumn("lease_owner", "text")
          .addColumn("lease_expires_at", big)
          .addColumn("error_message", "text")
          .addPrimaryKeyConstraint("event_subscriptions_pk", ["account_id", "flow_name"])
          .execute();
      },
    },
    "0103_event_batches": {
      async up(db: Kysely<unknown>) {
        // The batch in delivery, recorded before its run starts: its run and the replay ids of its first
        // and last events (it holds the events after replay_id up to the last). A subscriber that resumes the
        // flow delivers exactly those events again under the same run, so nothing is written twice.
        const t = () => db.schema.alterTable("event_subscriptions");
        await t().addColumn("batch_execution_id", "text").execute();
        await t().addColumn("batch_first_replay_id", big).execute();
        await t().addColumn("batch_last_replay_id", big).execute();
        // Where the next "AppFlow Event Flow Report" window starts (epoch ms).
        await t().addColumn("report_from", big).execute();
      },
    },
    "0104_run_record_json": {
      async up(db: Kysely<unknown>) {
        // Each run's ExecutionRecord as the API writes it, kept by triggers (record-json-sql.ts).
        await db.schema.alterTable("runs").addColumn("record_json", "text").execute();
        await installRecordJson(db, dialect);
      },
    },
  };
}

export class StaticMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrationsFor(this.dialect);
  }
}

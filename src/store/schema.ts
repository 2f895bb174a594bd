/**
 * Table types for Kysely. Times are epoch milliseconds (BIGINT on PostgreSQL, INTEGER on SQLite);
 * booleans are 0/1 integers and documents are JSON text, so both backends share one set of queries.
 */
import type { Generated } from "kysely";
import type { ExecutionStatus } from "../domain/flow.ts";

export interface FlowsTable {
  account_id: string;
  flow_name: string;
  flow_arn: string;
  flow_status: string;
  trigger_type: string;
  source_type: string;
  destination_type: string;
  description: string | null;
  /** JSON: description, kmsArn, triggerConfig, sourceFlowConfig, destinationFlowConfigList, tasks, metadataCatalogConfig. */
  definition: string;
  schema_version: number;
  created_at: number;
  updated_at: number;
  created_by: string;
  last_updated_by: string;
  /** Scheduled flows: the next tick to fire (null when inactive or past scheduleEndTime). */
  next_fire_at: number | null;
  /** Scheduled flows: the tick fired last (incremental windows start at the watermark instead). */
  last_fired_at: number | null;
  /** Bumped on every write: updates are compare-and-set on it so no concurrent update is lost. */
  row_version: number;
}

export interface ConnectorProfilesTable {
  account_id: string;
  profile_name: string;
  profile_arn: string;
  connector_type: string;
  connector_label: string | null;
  connection_mode: string;
  /** JSON of connectorProfileProperties (no secrets). */
  properties: string;
  /** AES-256-GCM envelope of the credentials JSON. */
  credentials_enc: string;
  credentials_arn: string;
  created_at: number;
  updated_at: number;
}

export interface TagsTable {
  account_id: string;
  resource_arn: string;
  tag_key: string;
  tag_value: string;
}

export interface IdempotencyTable {
  account_id: string;
  operation: string;
  client_token: string;
  request_hash: string;
  response: string;
  created_at: number;
}

export interface RunsTable {
  execution_id: string;
  account_id: string;
  flow_name: string;
  flow_arn: string;
  status: ExecutionStatus;
  trigger_type: string;
  /** The flow as it was when the run was triggered: a later UpdateFlow does not change a run. */
  flow_snapshot: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
  data_pull_start: number | null;
  data_pull_end: number | null;
  records_processed: number;
  records_written: number;
  records_dropped: number;
  bytes_processed: number;
  bytes_written: number;
  put_failures: number;
  num_parallel: number | null;
  max_page_size: number | null;
  error_message: string | null;
  /** 1 once a worker has claimed the run; an unclaimed run is cancelled straight to Canceled. */
  claimed: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  cancel_requested_at: number | null;
  /** Incremental scheduled runs: the end of the pulled window; a Successful end moves the watermark here. */
  watermark_to: number | null;
  /** The run's ExecutionRecord as restJson1 text, written by the database's triggers only (record-json-sql.ts). */
  record_json?: string | null;
}

export interface FlowWatermarksTable {
  account_id: string;
  flow_name: string;
  /** Source data up to this time (epoch ms) was transferred by a Successful run. */
  pulled_until: number;
}

export interface OutboxTable {
  id: Generated<number>;
  execution_id: string;
  account_id: string;
  detail_type: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string | null;
  /** The node delivering the event now, until claim_expires_at (then any node may retake it). */
  claimed_by: string | null;
  claim_expires_at: number | null;
}

export interface Database {
  flows: FlowsTable;
  connector_profiles: ConnectorProfilesTable;
  tags: TagsTable;
  idempotency: IdempotencyTable;
  runs: RunsTable;
  outbox: OutboxTable;
  flow_watermarks: FlowWatermarksTable;
  event_subscriptions: EventSubscriptionsTable;
}

export interface EventSubscriptionsTable {
  account_id: string;
  flow_name: string;
  replay_id: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  error_message: string | null;
  batch_execution_id: string | null;
  batch_first_replay_id: number | null;
  batch_last_replay_id: number | null;
  report_from: number | null;
}

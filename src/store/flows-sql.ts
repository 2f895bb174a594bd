/** Flow rows: one statement per function. Writes are compare-and-set on row_version so none is lost. */
import { type Kysely, sql } from "kysely";
import { ConflictError, QuotaExceededError, ResourceNotFoundError } from "../domain/errors.ts";
import { type Dialect, fixedQuery } from "./json-sql.ts";
import type { StoreCapabilities } from "./open-store.ts";
import type { Database, FlowsTable } from "./schema.ts";
import { deleteTags, putTags } from "./tags-sql.ts";
import { deleteWatermark } from "./watermark-sql.ts";

export type FlowRow = FlowsTable;

export async function insertFlow(db: Kysely<Database>, row: FlowRow): Promise<boolean> {
  // ON CONFLICT DO NOTHING: of two concurrent creates of one name, exactly one inserts.
  const res = await db
    .insertInto("flows")
    .values(row)
    .onConflict((oc) => oc.columns(["account_id", "flow_name"]).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function getFlow(db: Kysely<Database>, accountId: string, flowName: string) {
  return db
    .selectFrom("flows")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .executeTakeFirst();
}

const flowExistsQuery = fixedQuery<[string, string]>(
  () => "SELECT 1 AS x FROM flows WHERE account_id = ? AND flow_name = ?",
);

/**
 * Whether the flow exists, without reading its row (its definition is kilobytes). Compiled once: it
 * precedes every DescribeFlowExecutionRecords page.
 */
export async function flowExists(
  db: Kysely<Database>,
  dialect: Dialect,
  accountId: string,
  flowName: string,
): Promise<boolean> {
  return (await flowExistsQuery(db, dialect, [accountId, flowName])).length > 0;
}

export async function countFlows(db: Kysely<Database>, accountId: string): Promise<number> {
  const r = await db
    .selectFrom("flows")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function updateFlowRow(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  expectedVersion: number,
  patch: Partial<Omit<FlowRow, "account_id" | "flow_name" | "flow_arn" | "row_version">>,
): Promise<boolean> {
  const res = await db
    .updateTable("flows")
    .set({ ...patch, row_version: expectedVersion + 1 })
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("row_version", "=", expectedVersion)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function deleteFlowRow(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
): Promise<boolean> {
  const res = await db
    .deleteFrom("flows")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/** Flows whose source or destination uses a connector profile (DeleteConnectorProfile's conflict check). */
export async function flowsUsingProfile(db: Kysely<Database>, accountId: string, profileName: string) {
  const rows = await db
    .selectFrom("flows")
    .select(["flow_name", "definition"])
    .where("account_id", "=", accountId)
    .execute();
  return rows
    .filter((r) => {
      const d = JSON.parse(r.definition) as {
        sourceFlowConfig?: { connectorProfileName?: string };
        destinationFlowConfigList?: { connectorProfileName?: string }[];
      };
      return (
        d.sourceFlowConfig?.connectorProfileName === profileName ||
        (d.destinationFlowConfigList ?? []).some((x) => x.connectorProfileName === profileName)
      );
    })
    .map((r) => r.flow_name);
}

/**
 * CreateFlow's write: the flow and its tags, in one transaction that also checks the account's flow
 * quota (serialized per account on PostgreSQL, so concurrent creates can't pass it).
 */
export async function insertFlowWithTags(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  row: FlowRow,
  tags: Record<string, string>,
  maxFlows: number,
  /** Runs first in the transaction (the request's clientToken record). */
  first?: (trx: Kysely<Database>) => Promise<void>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await first?.(trx);
    if (caps.dialect === "postgres") {
      await sql`select pg_advisory_xact_lock(hashtext(${`sluice-flows:${row.account_id}`}))`.execute(trx);
    }
    if ((await countFlows(trx, row.account_id)) >= maxFlows) {
      throw new QuotaExceededError(`The account already has the maximum of ${maxFlows} flows`);
    }
    // Thrown, not returned: the transaction (and a clientToken record in it) must roll back.
    if (!(await insertFlow(trx, row))) throw new ConflictError(`Flow ${row.flow_name} already exists`);
    await putTags(trx, row.account_id, row.flow_arn, tags);
  });
}

/**
 * Locks a flow row for the rest of the transaction (PostgreSQL; SQLite transactions are serial):
 * `share` for creating a run of it, `update` for deleting it. Throws when the flow is gone.
 */
export async function lockFlow(
  trx: Kysely<Database>,
  caps: StoreCapabilities,
  accountId: string,
  flowName: string,
  mode: "share" | "update",
): Promise<void> {
  let q = trx
    .selectFrom("flows")
    .select("flow_name")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName);
  if (caps.dialect === "postgres") q = mode === "share" ? q.forShare() : q.forUpdate();
  if (!(await q.executeTakeFirst())) throw new ResourceNotFoundError(`Flow ${flowName} does not exist`);
}

export type DeleteFlowResult = { deleted: true } | { deleted: false; activeRuns: number };

/**
 * DeleteFlow as one decision: with the flow row locked (no run can be created meanwhile), a flow
 * with no InProgress/CancelStarted run is deleted with its tags, watermark and run records; one
 * with active runs is left as it is.
 */
export async function deleteIdleFlow(
  db: Kysely<Database>,
  caps: StoreCapabilities,
  row: Pick<FlowRow, "account_id" | "flow_name" | "flow_arn">,
): Promise<DeleteFlowResult> {
  return db.transaction().execute(async (trx) => {
    await lockFlow(trx, caps, row.account_id, row.flow_name, "update");
    const active = await trx
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("account_id", "=", row.account_id)
      .where("flow_name", "=", row.flow_name)
      .where("status", "in", ["InProgress", "CancelStarted"])
      .executeTakeFirstOrThrow();
    await caps.interleave?.("delete-flow", trx);
    if (Number(active.n) > 0) return { deleted: false, activeRuns: Number(active.n) };
    await trx
      .deleteFrom("runs")
      .where("account_id", "=", row.account_id)
      .where("flow_name", "=", row.flow_name)
      .execute();
    await deleteTags(trx, row.account_id, row.flow_arn);
    await deleteWatermark(trx, row.account_id, row.flow_name);
    await deleteFlowRow(trx, row.account_id, row.flow_name);
    return { deleted: true };
  });
}

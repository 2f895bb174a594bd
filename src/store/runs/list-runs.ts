/** Execution records, newest first, keyset-paginated so a page boundary holds while new runs start. */
import type { Kysely } from "kysely";
import type { Database, RunsTable } from "../schema.ts";

export interface RunCursor {
  createdAt: number;
  executionId: string;
}

export async function listRuns(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
  limit: number,
  after?: RunCursor,
): Promise<RunsTable[]> {
  let q = db
    .selectFrom("runs")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName);
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb("created_at", "<", after.createdAt),
        eb.and([eb("created_at", "=", after.createdAt), eb("execution_id", "<", after.executionId)]),
      ]),
    );
  }
  return q.orderBy("created_at", "desc").orderBy("execution_id", "desc").limit(limit).execute();
}

export async function latestRun(db: Kysely<Database>, accountId: string, flowName: string) {
  const [row] = await listRuns(db, accountId, flowName, 1);
  return row;
}

export async function getRun(db: Kysely<Database>, executionId: string) {
  return db.selectFrom("runs").selectAll().where("execution_id", "=", executionId).executeTakeFirst();
}

export async function activeRunIds(
  db: Kysely<Database>,
  accountId: string,
  flowName: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom("runs")
    .select("execution_id")
    .where("account_id", "=", accountId)
    .where("flow_name", "=", flowName)
    .where("status", "in", ["InProgress", "CancelStarted"])
    .execute();
  return rows.map((r) => r.execution_id);
}

/** The latest run of each of several flows, in one query (a page of ListFlows). */
export async function latestRuns(
  db: Kysely<Database>,
  accountId: string,
  flowNames: string[],
): Promise<Map<string, RunsTable>> {
  const out = new Map<string, RunsTable>();
  if (flowNames.length === 0) return out;
  const rows = await db
    .selectFrom("runs as r")
    .selectAll("r")
    .where("r.account_id", "=", accountId)
    .where("r.flow_name", "in", flowNames)
    .where("r.created_at", "=", (eb) =>
      eb
        .selectFrom("runs as l")
        .select((e) => e.fn.max("l.created_at").as("m"))
        .whereRef("l.account_id", "=", "r.account_id")
        .whereRef("l.flow_name", "=", "r.flow_name"),
    )
    .orderBy("r.execution_id", "desc")
    .execute();
  // Two runs created in the same millisecond: keep the one latestRun() would (highest id).
  for (const r of rows) if (!out.has(r.flow_name)) out.set(r.flow_name, r);
  return out;
}

/** Unfinished runs across the store, by state (the runs gauge). */
export async function unfinishedRunCounts(
  db: Kysely<Database>,
): Promise<Record<"queued" | "executing" | "stopping", number>> {
  const rows = await db
    .selectFrom("runs")
    .select(["status", "claimed", (eb) => eb.fn.countAll<number>().as("n")])
    .where("status", "in", ["InProgress", "CancelStarted"])
    .groupBy(["status", "claimed"])
    .execute();
  const out = { queued: 0, executing: 0, stopping: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.status === "CancelStarted") out.stopping += n;
    else if (r.claimed === 1) out.executing += n;
    else out.queued += n;
  }
  return out;
}

/**
 * Forces an interleaving of two store transactions: `hold(point)` pauses the next transaction that
 * reaches `point` (its deciding write done, its commit next); the test starts the other side and
 * waits until it really is blocked behind the held one — on PostgreSQL a backend whose blocking
 * pids include the held transaction's; on SQLite (one connection, serial transactions) a promise
 * still pending after the held transaction yielded — then releases it.
 */
import { type Kysely, sql } from "kysely";
import type { InterleaveHook, Store, TxPoint } from "../../src/store/open-store.ts";
import type { Database } from "../../src/store/schema.ts";

interface Held {
  reached: Promise<Kysely<Database>>;
  release(): void;
}

export class Interleaver {
  private readonly armed = new Map<TxPoint, { reach(trx: Kysely<Database>): void; gate: Promise<void> }>();

  readonly hook: InterleaveHook = async (point, trx) => {
    const a = this.armed.get(point);
    if (!a) return;
    this.armed.delete(point);
    a.reach(trx);
    await a.gate;
  };

  hold(point: TxPoint): Held {
    let reach!: (trx: Kysely<Database>) => void;
    let release!: () => void;
    const reached = new Promise<Kysely<Database>>((r) => {
      reach = r;
    });
    const gate = new Promise<void>((r) => {
      release = r;
    });
    this.armed.set(point, { reach, gate });
    return { reached, release };
  }
}

/** Tracks whether a promise settled, without consuming its result. */
export function tracked<T>(p: Promise<T>): { promise: Promise<T>; settled(): boolean } {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return { promise: p, settled: () => done };
}

/** Resolves once `other` is waiting on the held transaction `trx` (or throws at the deadline). */
export async function blockedBehind(
  store: Store,
  trx: Kysely<Database>,
  other: { settled(): boolean },
  deadlineMs = 10_000,
): Promise<void> {
  if (store.caps.dialect === "sqlite") {
    // Let every ready callback run: a statement not waiting for the connection would finish here.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    if (other.settled()) throw new Error("the other transaction did not wait for the held one");
    return;
  }
  const pid = (await sql<{ p: number }>`select pg_backend_pid() as p`.execute(trx)).rows[0]!.p;
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (other.settled()) throw new Error("the other transaction finished without waiting for the held one");
    const r = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`.execute(
      store.db,
    );
    if ((r.rows[0]?.n ?? 0) > 0) return;
    if (Date.now() > until) throw new Error(`no transaction became blocked behind backend ${pid}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

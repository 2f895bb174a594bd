/**
 * PostgreSQL: each batch is `BEGIN; COPY … FROM STDIN (text format); COMMIT` on one connection
 * (copy-batch.ts).
 * Up to `parallel` batches are in flight, each on its own connection: a COMMIT waits for its WAL flush
 * (10–20 ms for 10,000 rows here), and the next batch's COPY goes on meanwhile on the other connection.
 * A lost connection drops its session; the next attempt reconnects. When the connection failed after
 * COMMIT was sent, the transaction's fate is looked up (txid_status) before that batch is sent again,
 * so a retry never writes a batch twice.
 */
import type pg from "pg";
import { ConnectorServerError } from "../../domain/errors.ts";
import { RetryableBatchError } from "../sdk/failures.ts";
import type { FieldValue } from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { CommitOutcomeUnknown, copyBatch, type EncodedBatch, encodeRows } from "./copy-batch.ts";
import { batchError, classifyPg, describePg } from "./pg-errors.ts";
import { type ConnectionTarget, connect, quoteIdent } from "./redshift-connection.ts";

interface Session {
  client: pg.Client;
  pid: number;
}

export class StdinLoader implements BatchLoader {
  /** Connected sessions not loading a batch now. */
  private idle: Session[] = [];
  private readonly busy = new Set<Session>();
  /** A batch whose COMMIT's outcome is unknown → its transaction id (looked up before it is resent). */
  private readonly unknownCommits = new WeakMap<EncodedBatch, string>();
  private closed = false;
  readonly where: string;

  private constructor(
    private readonly target: ConnectionTarget,
    private readonly table: string,
    readonly columns: readonly string[],
    readonly parallel: number,
    first: Session,
  ) {
    this.idle.push(first);
    this.where = target.label;
  }

  static async open(
    target: ConnectionTarget,
    client: pg.Client,
    schema: string,
    table: string,
    columns: string[],
    parallel = 1,
  ): Promise<StdinLoader> {
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    const name = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    return new StdinLoader(target, name, columns, Math.max(1, parallel), { client, pid });
  }

  load(columns: readonly string[], rows: readonly FieldValue[][], signal: AbortSignal): Promise<number> {
    return this.loadEncoded(columns, encodeRows(rows), signal);
  }

  /** The writer encodes rows as they arrive (copy-batch.ts), so a batch in flight holds no JS values. */
  async loadEncoded(columns: readonly string[], batch: EncodedBatch, signal: AbortSignal): Promise<number> {
    const what = `a batch of ${batch.rows} records`;
    const s = await this.connected(signal, what);
    this.busy.add(s);
    let keep = true;
    try {
      const xid = this.unknownCommits.get(batch);
      if (xid !== undefined) {
        // This batch's previous attempt may have committed: count it instead of writing it again.
        const status = await s.client
          .query<{ s: string | null }>("SELECT txid_status($1::bigint) AS s", [xid])
          .catch((e: unknown) => {
            keep = false;
            return this.lost(e, what);
          });
        this.unknownCommits.delete(batch);
        if (status.rows[0]?.s === "committed") return batch.bytes;
      }
      const sql = `COPY ${this.table} (${columns.join(", ")}) FROM STDIN`;
      try {
        return await copyBatch(s.client, s.pid, this.target, sql, batch, signal);
      } catch (e) {
        if (signal.aborted) {
          keep = false;
          throw signal.reason;
        }
        if (e instanceof CommitOutcomeUnknown) {
          // Always worth another attempt: it starts by looking up whether this commit happened.
          this.unknownCommits.set(batch, e.xid);
          keep = false;
          throw new RetryableBatchError(
            `Lost the connection while committing ${what} at ${this.where}: ${describePg(e.cause)}`,
          );
        }
        const err = batchError(e, what, this.where);
        if (err instanceof RetryableBatchError) keep = false;
        throw err;
      }
    } finally {
      this.busy.delete(s);
      if (keep && !this.closed) this.idle.push(s);
      else void s.client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(all.map((s) => s.client.end().catch(() => {})));
  }

  private async connected(signal: AbortSignal, what: string): Promise<Session> {
    const ready = this.idle.pop();
    if (ready) return ready;
    let client: pg.Client;
    try {
      client = await connect(this.target, signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      // connect() already mapped it; an unreachable server is worth another attempt.
      if (e instanceof ConnectorServerError && /Could not reach/.test(e.message))
        throw new RetryableBatchError(`${e.message} (sending ${what})`);
      throw e;
    }
    try {
      const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      return { client, pid };
    } catch (e) {
      await client.end().catch(() => {});
      throw batchError(e, what, this.where);
    }
  }

  /** The connection is gone (the caller drops it): the next attempt reconnects. Throws the error. */
  private lost(e: unknown, what: string): never {
    if (classifyPg(e) === "retryable")
      throw new RetryableBatchError(`Lost ${what} at ${this.where}: ${describePg(e)}`);
    throw batchError(e, what, this.where);
  }
}

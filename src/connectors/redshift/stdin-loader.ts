/**
 * PostgreSQL: each batch is `BEGIN; COPY … FROM STDIN (CSV); COMMIT` on one connection (copy-batch.ts).
 * A lost connection drops the session; the next attempt reconnects. When the connection failed after
 * COMMIT was sent, the transaction's fate is looked up (txid_status) before the batch is sent again, so
 * a retry never writes a batch twice.
 */
import type pg from "pg";
import { ConnectorServerError } from "../../domain/errors.ts";
import { RetryableBatchError } from "../sdk/failures.ts";
import type { FieldValue } from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { CommitOutcomeUnknown, copyBatch, copyCsv } from "./copy-batch.ts";
import { batchError, classifyPg, describePg } from "./pg-errors.ts";
import { type ConnectionTarget, connect, quoteIdent } from "./redshift-connection.ts";

interface Session {
  client: pg.Client;
  pid: number;
}

export class StdinLoader implements BatchLoader {
  private session: Session | undefined;
  private unknownCommit: string | undefined;
  readonly where: string;

  private constructor(
    private readonly target: ConnectionTarget,
    private readonly table: string,
    readonly columns: readonly string[],
    first: Session,
  ) {
    this.session = first;
    this.where = target.label;
  }

  static async open(
    target: ConnectionTarget,
    client: pg.Client,
    schema: string,
    table: string,
    columns: string[],
  ): Promise<StdinLoader> {
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    return new StdinLoader(target, `${quoteIdent(schema)}.${quoteIdent(table)}`, columns, { client, pid });
  }

  async load(
    columns: readonly string[],
    rows: readonly FieldValue[][],
    signal: AbortSignal,
  ): Promise<number> {
    const what = `a batch of ${rows.length} records`;
    const s = await this.connected(signal, what);
    if (this.unknownCommit !== undefined) {
      // The previous attempt's COMMIT may have happened: count it instead of writing it again.
      const xid = this.unknownCommit;
      const status = await s.client
        .query<{ s: string | null }>("SELECT txid_status($1::bigint) AS s", [xid])
        .catch((e: unknown) => this.lost(e, what));
      this.unknownCommit = undefined;
      if (status.rows[0]?.s === "committed") return Buffer.byteLength(copyCsv(rows));
    }
    const sql = `COPY ${this.table} (${columns.join(", ")}) FROM STDIN WITH (FORMAT csv)`;
    try {
      return await copyBatch(s.client, s.pid, this.target, sql, rows, signal);
    } catch (e) {
      if (signal.aborted) {
        this.drop();
        throw signal.reason;
      }
      if (e instanceof CommitOutcomeUnknown) {
        // Always worth another attempt: it starts by looking up whether this commit happened.
        this.unknownCommit = e.xid;
        this.drop();
        throw new RetryableBatchError(
          `Lost the connection while committing ${what} at ${this.where}: ${describePg(e.cause)}`,
        );
      }
      const err = batchError(e, what, this.where);
      if (err instanceof RetryableBatchError) this.drop();
      throw err;
    }
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.client.end().catch(() => {});
  }

  private async connected(signal: AbortSignal, what: string): Promise<Session> {
    if (this.session) return this.session;
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
      this.session = { client, pid };
      return this.session;
    } catch (e) {
      await client.end().catch(() => {});
      throw batchError(e, what, this.where);
    }
  }

  /** The connection is gone: the next attempt reconnects. Throws the retryable error. */
  private lost(e: unknown, what: string): never {
    this.drop();
    if (classifyPg(e) === "retryable")
      throw new RetryableBatchError(`Lost ${what} at ${this.where}: ${describePg(e)}`);
    throw batchError(e, what, this.where);
  }

  private drop(): void {
    const s = this.session;
    this.session = undefined;
    if (s) void s.client.end().catch(() => {});
  }
}

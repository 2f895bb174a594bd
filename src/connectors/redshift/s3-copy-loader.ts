/**
 * Amazon Redshift over the PostgreSQL protocol: each batch is staged in the intermediate bucket and
 * loaded with `BEGIN; COPY … FROM 's3://…' IAM_ROLE …; COMMIT`, then the staged object is deleted.
 * A connection lost before COMMIT rolled the batch back (retryable); one lost during COMMIT leaves its
 * outcome unknown (Redshift has no txid_status), so that batch is not sent again: the run ends Error.
 */
import type pg from "pg";
import { ConnectorServerError } from "../../domain/errors.ts";
import { RetryableBatchError } from "../sdk/failures.ts";
import type { FieldValue } from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { batchError, describePg } from "./pg-errors.ts";
import { type ConnectionTarget, connect, quoteIdent } from "./redshift-connection.ts";
import { copyFromS3Sql, type StagingArea, stageBatch, unstage } from "./s3-staging.ts";

export class S3CopyLoader implements BatchLoader {
  readonly where: string;
  private readonly table: string;

  constructor(
    private readonly target: ConnectionTarget,
    private client: pg.Client | undefined,
    private readonly area: StagingArea,
    private readonly roleArn: string,
    schema: string,
    table: string,
    readonly columns: readonly string[],
  ) {
    this.where = target.label;
    this.table = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  }

  async load(
    columns: readonly string[],
    rows: readonly FieldValue[][],
    signal: AbortSignal,
  ): Promise<number> {
    const what = `a batch of ${rows.length} records`;
    this.client ??= await connect(this.target, signal);
    const client = this.client;
    const staged = await stageBatch(this.area, rows, signal);
    let committing = false;
    // Destroying the socket makes the server roll the open transaction back.
    const onAbort = () => {
      if (!committing) void client.end().catch(() => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await client.query("BEGIN");
      await client.query(copyFromS3Sql(this.table, columns, staged, this.roleArn));
      committing = true;
      await client.query("COMMIT");
      return staged.bytes;
    } catch (e) {
      if (signal.aborted) {
        this.client = undefined;
        throw signal.reason;
      }
      const err = batchError(e, what, this.where);
      if (err instanceof RetryableBatchError) {
        this.client = undefined;
        void client.end().catch(() => {});
        if (committing)
          throw new ConnectorServerError(
            `The connection to ${this.where} was lost while committing ${what}; whether it was written is unknown: ${describePg(e)}`,
          );
      } else {
        await client.query("ROLLBACK").catch(() => {});
      }
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
      await unstage(this.area, staged);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }
}

/**
 * Amazon Redshift through the Redshift Data API: each batch is staged in the intermediate bucket and
 * loaded by one `COPY … FROM 's3://…' IAM_ROLE …` statement (ExecuteStatement; a single statement is
 * its own transaction, so the batch commits whole or not at all), then the staged object is deleted.
 * Every attempt has its own ClientToken, so the AWS SDK's retries of one call never submit it twice.
 */
import { randomUUID } from "node:crypto";
import { ConnectorServerError } from "../../domain/errors.ts";
import { RecordsRejectedError, RetryableBatchError } from "../sdk/failures.ts";
import type { FieldValue } from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { type DataApiTarget, queryRows, runStatement } from "./data-api.ts";
import { quoteIdent } from "./redshift-connection.ts";
import { copyFromS3Sql, type StagingArea, stageBatch, unstage } from "./s3-staging.ts";

/** Redshift's load errors (bad data) as opposed to failures of the statement itself. */
const DATA_ERROR =
  /Load into table .* failed|invalid input syntax|violates|value too long|out of range|invalid digit|Invalid timestamp|Invalid date|Missing data for not-null/i;
const TRANSIENT = /connection|terminat|restart|timed? ?out|Please retry|temporarily unavailable/i;

export class DataApiLoader implements BatchLoader {
  readonly where: string;

  private constructor(
    private readonly t: DataApiTarget,
    private readonly area: StagingArea,
    private readonly roleArn: string,
    private readonly table: string,
    readonly columns: readonly string[],
  ) {
    this.where = t.label;
  }

  static async open(
    t: DataApiTarget,
    area: StagingArea,
    roleArn: string,
    schema: string,
    table: string,
    signal: AbortSignal,
  ): Promise<DataApiLoader> {
    const rows = await queryRows(
      t,
      "SELECT column_name FROM information_schema.columns WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position",
      [
        { name: "schema", value: schema },
        { name: "table", value: table },
      ],
      signal,
      `Reading the columns of ${schema}.${table}`,
    );
    const columns = rows.map((r) => String(r.column_name));
    return new DataApiLoader(t, area, roleArn, `${quoteIdent(schema)}.${quoteIdent(table)}`, columns);
  }

  async load(
    columns: readonly string[],
    rows: readonly FieldValue[][],
    signal: AbortSignal,
  ): Promise<number> {
    const what = `a batch of ${rows.length} records`;
    const staged = await stageBatch(this.area, rows, signal);
    try {
      const sql = copyFromS3Sql(this.table, columns, staged, this.roleArn);
      const done = await runStatement(this.t, sql, signal, {
        clientToken: randomUUID(),
        what: `Loading ${what}`,
      });
      if (done.status === "FINISHED") return staged.bytes;
      const why = done.error ?? done.status;
      if (done.status === "ABORTED")
        throw new RetryableBatchError(`The COPY of ${what} at ${this.where} was aborted`);
      if (DATA_ERROR.test(why))
        throw new RecordsRejectedError(`Redshift rejected ${what} at ${this.where}: ${why}`);
      if (TRANSIENT.test(why)) throw new RetryableBatchError(`Lost ${what} at ${this.where}: ${why}`);
      throw new ConnectorServerError(`Redshift failed to load ${what} at ${this.where}: ${why}`);
    } finally {
      await unstage(this.area, staged);
    }
  }

  async close(): Promise<void> {}
}

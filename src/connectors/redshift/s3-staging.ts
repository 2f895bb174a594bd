/**
 * Amazon Redshift loads from S3 only (it has no COPY FROM STDIN): each batch is written as one CSV
 * object under the intermediate bucket, through the S3 connector's object store (a real S3 endpoint or
 * the local directory), loaded with `COPY … FROM 's3://…' IAM_ROLE '…' FORMAT AS CSV`, and the object is
 * deleted once the load has ended, whether it committed or not.
 */
import type { ObjectStore } from "../s3/object-store.ts";
import type { FieldValue } from "../types.ts";
import { copyCsv } from "./copy-batch.ts";

export interface StagingArea {
  store: ObjectStore;
  bucket: string;
  /** Key prefix for this run's staged batches, without a trailing slash. */
  prefix: string;
}

export interface StagedBatch {
  bucket: string;
  key: string;
  bytes: number;
}

let seq = 0;

export async function stageBatch(
  area: StagingArea,
  rows: readonly FieldValue[][],
  signal: AbortSignal,
): Promise<StagedBatch> {
  const body = Buffer.from(copyCsv(rows));
  const key = `${area.prefix}/batch-${Date.now()}-${String(seq++).padStart(6, "0")}.csv`;
  await area.store.put(area.bucket, key, body, signal);
  return { bucket: area.bucket, key, bytes: body.length };
}

/** Best effort: a staged object left behind is harmless (it is never loaded twice). */
export async function unstage(area: StagingArea, staged: StagedBatch): Promise<void> {
  await area.store.delete(staged.bucket, staged.key, AbortSignal.timeout(30_000)).catch(() => {});
}

/** A string literal for Redshift SQL. */
export function sqlLiteral(s: string): string {
  return `'${s.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** The COPY statement that loads one staged batch. `table` and `columns` are quoted identifiers. */
export function copyFromS3Sql(
  table: string,
  columns: readonly string[],
  staged: StagedBatch,
  roleArn: string,
): string {
  return `COPY ${table} (${columns.join(", ")}) FROM ${sqlLiteral(`s3://${staged.bucket}/${staged.key}`)} IAM_ROLE ${sqlLiteral(roleArn)} FORMAT AS CSV TIMEFORMAT 'auto'`;
}

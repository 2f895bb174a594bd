/**
 * SOQL over REST (REST API Developer Guide, "Execute a SOQL Query", "QueryAll"): GET …/query?q= (or
 * queryAll, which includes deleted and archived records), then `nextRecordsUrl` until `done`. Each page
 * is one batch and the cancel checkpoint: after `stop` fires, the page in flight is finished and no
 * other is requested.
 */
import type { FieldValue, RecordBatch } from "../types.ts";
import type { SalesforceClient } from "./sf-http.ts";

interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

export interface RestQueryOptions {
  all: boolean;
  /** Sforce-Query-Options batchSize (200–2000). */
  batchSize: number;
  /** Soft: no new page after it fires. */
  stop: AbortSignal;
  /** Hard: aborts the page in flight. */
  signal: AbortSignal;
}

export async function countRecords(
  client: SalesforceClient,
  countQuery: string,
  all: boolean,
  signal: AbortSignal,
): Promise<number> {
  const page = await client.json<QueryPage>(
    "GET",
    `/${all ? "queryAll" : "query"}?q=${encodeURIComponent(countQuery)}`,
    {
      signal,
    },
  );
  return page.totalSize;
}

export async function* restQuery(
  client: SalesforceClient,
  soql: string,
  fields: readonly string[],
  o: RestQueryOptions,
): AsyncGenerator<RecordBatch> {
  let next: string | undefined = `/${o.all ? "queryAll" : "query"}?q=${encodeURIComponent(soql)}`;
  while (next !== undefined) {
    const r = await client.call("GET", next, {
      accept: "application/json",
      headers: { "sforce-query-options": `batchSize=${o.batchSize}` },
      signal: o.signal,
    });
    const text = await r.text();
    const page = JSON.parse(text) as QueryPage;
    next = page.done ? undefined : page.nextRecordsUrl;
    if (page.records.length > 0)
      yield {
        fields: [...fields],
        rows: page.records.map((rec) => toRow(rec, fields)),
        bytes: Buffer.byteLength(text),
      };
    if (o.stop.aborted) return;
  }
}

/** A REST record as a row: scalars as they are, compound values (address, location) as JSON text. */
export function toRow(rec: Record<string, unknown>, fields: readonly string[]): FieldValue[] {
  return fields.map((f) => {
    const v = rec[f];
    if (v === undefined || v === null) return null;
    if (typeof v === "object") return JSON.stringify(v);
    return v as FieldValue;
  });
}

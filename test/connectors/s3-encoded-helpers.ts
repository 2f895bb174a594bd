/** Shared by the S3 writeEncoded tests: a destination on the local backend and encoded records made by the project's encoders. */
import { parquetReadObjects } from "hyparquet";
import { createS3Destination } from "../../src/connectors/s3/s3-destination.ts";
import type { S3DestinationProperties } from "../../src/connectors/s3/shapes.ts";
import type {
  ConnectorRunContext,
  DestinationWriter,
  EncodedFormat,
  EncodedRecords,
} from "../../src/connectors/types.ts";
import type { FlowDefinition, SourceFlowConfig, Task } from "../../src/domain/flow.ts";
import { CsvEncoder } from "../../src/formats/csv-writer.ts";
import { JsonLinesEncoder } from "../../src/formats/jsonl-writer.ts";
import { stagedField } from "../../src/formats/staged-field.ts";
import { connectorContext } from "../helpers/connector-context.ts";
import type { Backend } from "./s3-backends.ts";

export const sig = () => AbortSignal.timeout(60_000);
export const BUCKET = "enc-bucket";
const csvSourceConfig: SourceFlowConfig = { connectorType: "S3", sourceConnectorProperties: { S3: {} } };

export type Kind = "JSON" | "CSV" | "PARQUET";
export type Rows = (string | null)[][];
export interface Batch {
  fields: string[];
  rows: Rows;
}

export function context(
  b: Backend,
  executionId: string,
  o: { signal?: AbortSignal; tasks?: Task[]; source?: SourceFlowConfig } = {},
): ConnectorRunContext {
  const flow: FlowDefinition = {
    flowName: "enc-flow",
    flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/enc-flow",
    accountId: "000000000000",
    region: "us-east-1",
    triggerConfig: { triggerType: "OnDemand" },
    sourceFlowConfig: o.source ?? csvSourceConfig,
    destinationFlowConfigList: [],
    tasks: o.tasks ?? [],
    schemaVersion: 1,
  };
  const startedAt = new Date(Date.UTC(2024, 0, 2));
  return connectorContext({ flow, executionId, startedAt, env: b.env }, { signal: o.signal ?? sig() });
}

export function openWriter(
  b: Backend,
  executionId: string,
  props: Omit<S3DestinationProperties, "bucketName">,
  o: Parameters<typeof context>[2] = {},
): Promise<DestinationWriter> {
  return createS3Destination(
    { connectorType: "S3", destinationConnectorProperties: { S3: { bucketName: BUCKET, ...props } } },
    context(b, executionId, o),
  ).open();
}

/** Encoded records for rows, made by the encoder write() uses (staging-csv: its field encoding). */
export async function encode(format: EncodedFormat, fields: string[], rows: Rows): Promise<EncodedRecords> {
  let lines: Buffer[] = [];
  const sink = { write: (c: Buffer) => lines.push(Buffer.from(c)) };
  let data: Buffer;
  if (format === "jsonl") {
    await new JsonLinesEncoder(sink).write(fields, rows);
    data = Buffer.concat(lines);
  } else if (format === "csv") {
    const enc = new CsvEncoder(sink);
    await enc.write(fields, []); // the header, which encoded records leave out
    lines = [];
    await enc.write(fields, rows);
    data = Buffer.concat(lines);
  } else {
    const text = rows.map((r) => `${r.map((v) => (v === null ? "" : stagedField(v))).join(",")}\n`);
    data = Buffer.from(text.join(""), "utf8");
  }
  const text = data.toString("utf8");
  // Records end at "\n" outside quotes; for the test's values a line per record is found by the parse
  // below, so longestRecord is measured on whole records.
  let longest = 0;
  let start = 0;
  let quoted = false;
  // Where the first half of the records ends (bytes): the records go as two chunks, as the fast path
  // hands over a batch transcoded in several pieces.
  const first = Math.floor(rows.length / 2);
  let half = data.length;
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && format !== "jsonl") quoted = !quoted;
    else if (c === "\n" && !quoted) {
      longest = Math.max(longest, Buffer.byteLength(text.slice(start, i + 1)));
      start = i + 1;
      if (++seen === first) half = Buffer.byteLength(text.slice(0, start));
    }
  }
  const chunks =
    first > 0
      ? [
          { data: data.subarray(0, half), records: first },
          { data: data.subarray(half), records: rows.length - first },
        ]
      : [{ data, records: rows.length }];
  return { fields, chunks, records: rows.length, bytes: data.length, longestRecord: longest };
}

export const FORMAT: Record<Kind, EncodedFormat> = { JSON: "jsonl", CSV: "csv", PARQUET: "staging-csv" };

/** Deterministic values that don't compress much, with the cases each format must encode with care. */
export function rowsOf(n: number, from: number, width: number): Rows {
  let x = from * 2654435761 + 1;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x.toString(36);
  };
  const special = ["", " lead", 'q"uote', "com,ma", "multi\nline", "é ü 漢字", "tab\tend ", "cr\r\n"];
  return Array.from({ length: n }, (_, i) => {
    const row: (string | null)[] = [String(from + i), `${next()}${next()}${next()}`];
    while (row.length < width) {
      const k = (from + i + row.length) % 13;
      row.push(k === 0 ? null : k < special.length ? special[k]! : next());
    }
    return row;
  });
}

export async function parquetRows(bytes: Buffer): Promise<Record<string, unknown>[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return parquetReadObjects({ file });
}

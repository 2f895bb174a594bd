/**
 * S3 as a flow source: every object under bucketName/bucketPrefix (keys ending in "/" and empty objects
 * are skipped), parsed as CSV (default) or JSON Lines, several objects at a time, as batches of up to
 * env.batchRows rows. Each batch holds rows of one object, with that object's fields.
 */
import type { Readable } from "node:stream";
import { ValidationError } from "../../domain/errors.ts";
import type { SourceFlowConfig } from "../../domain/flow.ts";
import { readCsv } from "../../formats/csv-reader.ts";
import { readJsonLines } from "../../formats/jsonl-reader.ts";
import { DEFAULT_MAX_RECORD_MB, MB } from "../../formats/record-limit.ts";
import type { ConnectorRunContext, CsvObjectBytes, RecordBatch, Source } from "../types.ts";
import type { ObjectInfo, ObjectStore } from "./object-store.ts";
import { openObjectStore } from "./open-object-store.ts";
import { mergeParallel } from "./parallel-merge.ts";
import type { S3SourceProperties } from "./shapes.ts";

/** AppFlow reads a prefix as a folder: "data" means the objects under "data/". */
export function folderPrefix(prefix: string | undefined): string {
  const p = (prefix ?? "").replace(/^\/+/, "");
  return p === "" || p.endsWith("/") ? p : `${p}/`;
}

export function createS3Source(config: SourceFlowConfig, ctx: ConnectorRunContext): Source {
  const props = config.sourceConnectorProperties.S3 as S3SourceProperties | undefined;
  if (!props?.bucketName) throw new ValidationError("sourceConnectorProperties.S3.bucketName is required");
  const bucket = props.bucketName;
  const prefix = folderPrefix(props.bucketPrefix);
  const format = props.s3InputFormatConfig?.s3InputFileType ?? "CSV";
  const batchRows = Math.max(1, ctx.env.batchRows);
  const parallelism = Math.max(1, ctx.env.sourceParallelism);
  const maxRecord = (ctx.env.s3.maxRecordMb ?? DEFAULT_MAX_RECORD_MB) * MB;
  const store = openObjectStore(ctx.env);

  // What the run really uses: never more readers than objects.
  let readers = parallelism;
  const listObjects = async (signal: AbortSignal) => {
    // An incremental scheduled run reads the objects last modified within its window.
    const win = ctx.dataPullWindow;
    const inWindow = (t: Date | undefined) =>
      !win ||
      (t !== undefined && t.getTime() < win.end && (win.start === undefined || t.getTime() >= win.start));
    return (await store.list(bucket, prefix, signal)).filter(
      (o) => !o.key.endsWith("/") && o.size > 0 && inWindow(o.lastModified),
    );
  };
  return {
    commitMode: "streaming",
    maxPageSize: batchRows,
    get numParallelProcesses() {
      return readers;
    },
    csvObjects: () =>
      format === "CSV" ? csvObjects(store, bucket, () => listObjects(ctx.signal), ctx.signal) : undefined,
    async *read(): AsyncGenerator<RecordBatch> {
      const signal = ctx.signal;
      const objects = await listObjects(signal);
      readers = Math.max(1, Math.min(parallelism, objects.length));
      const producers = objects.map(
        (o) => (inner: AbortSignal) => readObject(store, bucket, o.key, format, batchRows, maxRecord, inner),
      );
      yield* mergeParallel(producers, parallelism, signal);
    },
  };
}

/** The objects one at a time (the fast path parallelizes within an object), each stream released after. */
async function* csvObjects(
  store: ObjectStore,
  bucket: string,
  list: () => Promise<ObjectInfo[]>,
  signal: AbortSignal,
): AsyncGenerator<CsvObjectBytes> {
  for (const o of await list()) {
    const stream = await store.get(bucket, o.key, signal);
    const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      yield { name: `s3://${bucket}/${o.key}`, size: o.size, bytes: stream };
    } finally {
      signal.removeEventListener("abort", onAbort);
      stream.destroy();
    }
  }
}

async function* readObject(
  store: ObjectStore,
  bucket: string,
  key: string,
  format: "CSV" | "JSON",
  batchRows: number,
  maxRecord: number,
  signal: AbortSignal,
): AsyncGenerator<RecordBatch> {
  const stream: Readable = await store.get(bucket, key, signal);
  // Destroying the stream on abort ends the pending read at once (file handle or HTTP response).
  const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : undefined);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const name = `s3://${bucket}/${key}`;
    const batches =
      format === "JSON"
        ? readJsonLines(stream, batchRows, name, maxRecord)
        : readCsv(stream, batchRows, name, maxRecord);
    for await (const b of batches) {
      signal.throwIfAborted();
      yield { fields: b.fields, rows: b.rows, bytes: b.bytes };
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    stream.destroy();
  }
}

/**
 * The S3 destination's writer. Objects are written as batches arrive and are uploaded in parts as they
 * grow; an object counts as written only once it is complete.
 *
 * How records are grouped into objects:
 * - aggregationType None, no targetFileSize: one object per batch (per partition);
 * - SingleFile, no targetFileSize: one object per partition for the whole run;
 * - targetFileSize (MB) with either type: an object is completed once it reaches about that size and
 *   the next records go to a new one.
 * A batch whose field list differs from the open object's (e.g. source files with other headers)
 * starts a new object, since CSV headers and Parquet schemas are fixed per object.
 *
 * Open objects are bounded (maxOpenObjects): each buffers up to a part (5 MiB) before it uploads, so
 * with one open object per partition value memory grew with the data. When a new partition needs an
 * object and the limit is reached, the least recently written one is completed into a finished object
 * (its partition's later records start another file, as AppFlow's file-per-partition output allows).
 *
 * Signals (commitMode "batch"; the run context's signal is the cancel, hardSignal the hard stop): part
 * uploads stop at once on the cancel signal — nothing they wrote is visible — but a commit
 * (complete/put) only takes the hard signal. A commit that S3 accepts while a cancel aborts the call would leave an
 * object that exists but is not counted; so after a cancel no new commit starts, and the one in flight
 * finishes (or is cut by the hard signal after the grace period).
 *
 * Records already encoded (writeEncoded, the fast path) go through the same object logic as batches:
 * the encoder appends them, so objects, headers, counts and commits are those write() gives.
 */

import { ConnectorServerError } from "../../domain/errors.ts";
import {
  createEncoder,
  fileExtension,
  type OutputFileType,
  type RecordEncoder,
} from "../../formats/record-encoder.ts";
import type {
  ConnectorRunContext,
  DestinationWriter,
  EncodedFormat,
  EncodedRecords,
  FieldValue,
  RecordBatch,
  WriteProgress,
} from "../types.ts";
import type { ObjectStore } from "./object-store.ts";
import { ObjectUpload } from "./object-upload.ts";
import { fileName, type LayoutInput, partitionFolder, runFolder } from "./s3-layout.ts";

export interface S3WriterOptions {
  bucket: string;
  layout: LayoutInput;
  fileType: OutputFileType;
  /** One object per batch (None without a size), or objects kept open across batches. */
  perBatch: boolean;
  /** Complete an object once it holds this many bytes; undefined = no size limit. */
  targetBytes?: number;
  /** Objects open at once (one per partition value at most); the least recently written is completed. */
  maxOpenObjects: number;
  preserveSourceDataTyping: boolean;
  /** The flow has a Partition task: no encoded records (they carry no partition values). */
  partitioned: boolean;
  /** The source yields only strings (CSV), so Parquet columns are all text even with typing preserved. */
  textSource: boolean;
  /** Where the Parquet writer's temp files go (default: the OS temp dir). */
  tempDir?: string;
}

interface OpenObject {
  upload: ObjectUpload;
  encoder: RecordEncoder;
  fields: string[];
  records: number;
}

/** The wire format each file type's encoder appends as it is (undefined: batches only). */
function encodedFormatOf(o: S3WriterOptions): EncodedFormat | undefined {
  if (o.partitioned) return undefined;
  switch (o.fileType) {
    case "JSON":
      return "jsonl";
    case "CSV":
      return "csv";
    case "PARQUET":
      // Staged text lines carry no types: with typing preserved only a source of strings fits them.
      return o.preserveSourceDataTyping && !o.textSource ? undefined : "staging-csv";
  }
}

export class S3DestinationWriter implements DestinationWriter {
  readonly commitMode = "batch" as const;
  readonly encodedFormat: EncodedFormat | undefined;
  /** Open objects by partition, least recently written first (a Map keeps insertion order). */
  private readonly open = new Map<string, OpenObject>();
  private readonly progress: WriteProgress = { recordsWritten: 0, bytesWritten: 0, putFailures: 0 };
  private nextIndex = 0;
  private readonly folder: string;
  /** Part uploads stop on either signal; built once, as both signals live as long as the run. */
  private readonly uploads: AbortSignal;
  /** Bytes written per byte of values held by an encoder, from the last completed object (see estimatedSize). */
  private compression = 1;

  constructor(
    private readonly store: ObjectStore,
    private readonly ctx: Pick<ConnectorRunContext, "signal" | "hardSignal">,
    private readonly options: S3WriterOptions,
  ) {
    this.folder = runFolder(options.layout);
    this.uploads = AbortSignal.any([ctx.hardSignal, ctx.signal]);
    this.encodedFormat = encodedFormatOf(options);
  }

  /** The hard signal bounds commits; the cancel signal aborts part uploads and prevents new commits. */
  async write(batch: RecordBatch): Promise<WriteProgress> {
    this.ctx.signal.throwIfAborted();
    for (const [partition, rows] of groupByPartition(batch)) {
      if (rows.length === 0) continue;
      await this.append(partition, batch.fields, rows.length, (e) => e.write(batch.fields, rows));
    }
    return { ...this.progress };
  }

  /** Records in encodedFormat: appended as write() would encode the same values. */
  async writeEncoded(records: EncodedRecords): Promise<WriteProgress> {
    if (this.encodedFormat === undefined)
      throw new ConnectorServerError(
        "This S3 destination takes no encoded records (partitioned or typed output)",
      );
    this.ctx.signal.throwIfAborted();
    const { fields, chunks, longestRecord } = records;
    // One batch for the object rules (one object per batch without aggregation), however many chunks.
    if (records.records > 0)
      await this.append("", fields, records.records, async (e) => {
        for (const c of chunks)
          if (c.records > 0) await e.writeEncoded!(fields, c.data, c.records, longestRecord);
      });
    return { ...this.progress };
  }

  /** Adds `count` records to the partition's open object (encoded by `encode`), starting and completing objects. */
  private async append(
    partition: string,
    fields: string[],
    count: number,
    encode: (encoder: RecordEncoder) => Promise<void>,
  ): Promise<void> {
    const { hardSignal } = this.ctx;
    let obj = this.open.get(partition);
    if (obj && !sameFields(obj.fields, fields)) {
      await this.complete(partition, obj, hardSignal);
      obj = undefined;
    }
    if (obj) {
      // Most recently written last: the first entry is the one to close when the limit is reached.
      this.open.delete(partition);
      this.open.set(partition, obj);
    } else {
      while (this.open.size >= Math.max(1, this.options.maxOpenObjects)) {
        const [lru, oldest] = this.open.entries().next().value!;
        await this.complete(lru, oldest, hardSignal);
      }
      obj = this.start(partition, fields);
    }
    await encode(obj.encoder);
    obj.records += count;
    await obj.upload.flushParts(this.uploads);
    const full =
      this.options.targetBytes !== undefined && this.estimatedSize(obj) >= this.options.targetBytes;
    if (full || (this.options.perBatch && this.options.targetBytes === undefined)) {
      await this.complete(partition, obj, hardSignal);
    }
  }

  async finish(): Promise<WriteProgress> {
    for (const [partition, obj] of [...this.open]) await this.complete(partition, obj, this.ctx.hardSignal);
    return { ...this.progress };
  }

  async abort(): Promise<WriteProgress> {
    const objects = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      objects.flatMap((o) => [o.upload.abort().catch(() => {}), o.encoder.discard?.().catch(() => {})]),
    );
    return { ...this.progress };
  }

  /**
   * The object's size so far: what reached the upload, plus what the encoder still holds (the Parquet
   * writer holds the whole object until it is completed) scaled by the compression of this run's last
   * completed object — before the first, uncompressed, so the first file comes out smaller, never larger.
   */
  private estimatedSize(obj: OpenObject): number {
    return obj.upload.bytes + (obj.encoder.pendingBytes?.() ?? 0) * this.compression;
  }

  private start(partition: string, fields: string[]): OpenObject {
    const { layout, fileType, bucket } = this.options;
    const key = this.folder + partition + fileName(layout, this.nextIndex++, fileExtension[fileType]);
    const upload = new ObjectUpload(this.store, bucket, key);
    const encoder = createEncoder(fileType, upload, {
      preserveSourceDataTyping: this.options.preserveSourceDataTyping,
      tempDir: this.options.tempDir,
    });
    const obj = { upload, encoder, fields: [...fields], records: 0 };
    this.open.set(partition, obj);
    return obj;
  }

  private async complete(partition: string, obj: OpenObject, signal: AbortSignal): Promise<void> {
    this.ctx.signal.throwIfAborted(); // cancelled: no new commit starts (abort() drops the open objects)
    const pending = obj.encoder.pendingBytes?.() ?? 0;
    const before = obj.upload.bytes;
    // Writing the file is not yet a commit: a cancel stops it, as it stops part uploads.
    await obj.encoder.close({ signal: this.uploads, drain: () => obj.upload.flushParts(this.uploads) });
    if (pending > 0) this.compression = (obj.upload.bytes - before) / pending;
    await obj.upload.complete(signal);
    this.open.delete(partition);
    this.progress.recordsWritten += obj.records;
    this.progress.bytesWritten += obj.upload.bytes;
  }
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

/** Splits a batch's rows by the values of its partition keys ("" = no partitioning). */
function groupByPartition(batch: RecordBatch): Map<string, FieldValue[][]> {
  const keys = batch.partitionKeys ?? [];
  if (keys.length === 0) return new Map([["", batch.rows]]);
  const idx = keys.map((k) => batch.fields.indexOf(k));
  const groups = new Map<string, FieldValue[][]>();
  for (const row of batch.rows) {
    const folder = partitionFolder(
      keys,
      idx.map((i) => (i >= 0 ? (row[i] ?? null) : null)),
    );
    const rows = groups.get(folder);
    if (rows) rows.push(row);
    else groups.set(folder, [row]);
  }
  return groups;
}

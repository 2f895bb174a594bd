/**
 * The one small storage interface the S3 connector (and the Redshift error bucket) use. Two backends:
 * a local directory (the default, no S3 needed) and any S3-compatible endpoint through the AWS SDK.
 * Both behave alike: objects appear whole or not at all (multipart uploads commit on complete).
 */
import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
}

/** An upload in progress; `complete` makes the object visible, `abort` drops it. */
export interface MultipartUpload {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

export interface ObjectStore {
  /** Buckets, sorted by name. */
  listBuckets(signal: AbortSignal): Promise<string[]>;
  /** Creates a bucket if it does not exist yet. */
  createBucket(bucket: string, signal: AbortSignal): Promise<void>;
  /** Every object under `prefix`, sorted by key (no delimiter: folders are not listed separately). */
  list(bucket: string, prefix: string, signal: AbortSignal): Promise<ObjectInfo[]>;
  /** The object's bytes as a stream; destroying the stream releases the underlying request/file. */
  get(bucket: string, key: string, signal: AbortSignal): Promise<Readable>;
  /** Size of an object, or undefined when it does not exist. */
  head(bucket: string, key: string, signal: AbortSignal): Promise<ObjectInfo | undefined>;
  /** Writes a small object in one call (atomically). */
  put(bucket: string, key: string, body: Buffer, signal: AbortSignal): Promise<void>;
  delete(bucket: string, key: string, signal: AbortSignal): Promise<void>;
  beginUpload(bucket: string, key: string, signal: AbortSignal): Promise<MultipartUpload>;
  /**
   * Parts are numbered from 1; every part but the last must be at least MIN_PART_SIZE on real S3. The
   * body may be the chunks it was buffered as, so a backend that can write them as they are (the local
   * one, with writev) never copies them into one buffer.
   */
  uploadPart(
    upload: MultipartUpload,
    partNumber: number,
    body: Buffer | readonly Buffer[],
    signal: AbortSignal,
  ): Promise<UploadedPart>;
  completeUpload(upload: MultipartUpload, parts: UploadedPart[], signal: AbortSignal): Promise<void>;
  /** Drops an upload's parts. Best effort: never throws. */
  abortUpload(upload: MultipartUpload): Promise<void>;
}

/** S3's minimum size of every multipart part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

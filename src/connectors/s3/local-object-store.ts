/**
 * Local-directory backend: bucket B, key K ↔ `<dataDir>/s3/B/K`. Every write lands in a hidden staging
 * directory (`<dataDir>/s3/.staging/`) on the same filesystem and is renamed into place only when complete,
 * so readers never see a partial object. Bucket names starting with "." are refused, which keeps the
 * staging directory out of every bucket listing.
 *
 * A multipart upload's directory holds its parts appended in order to one file (local-multipart.ts; the
 * state is on disk, so any instance can go on with an upload). Completing parts 1…j of the k appended
 * is then a truncate and a rename, where assembling the parts copied the whole object again (208 MB at
 * the end of a 1M-row run); other part lists are assembled from the pieces.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, truncate, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { addAbortSignal, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ConnectorServerError } from "../../domain/errors.ts";
import { absorbFollowing, appendedEnds, appendPart, piecesOf, unappendFrom } from "./local-multipart.ts";
import type { MultipartUpload, ObjectInfo, ObjectStore, UploadedPart } from "./object-store.ts";

/** Bytes per read of an object (a run reads its source in buffers of this size). */
export const LOCAL_READ_BYTES = 1 << 20;

export class LocalObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly staging: string;
  /** The tail of each upload's queue of calls (see serially). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, "s3");
    this.staging = path.join(this.root, ".staging");
  }

  async listBuckets(signal: AbortSignal): Promise<string[]> {
    signal.throwIfAborted();
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  }

  async createBucket(bucket: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await mkdir(this.bucketDir(bucket), { recursive: true });
  }

  async list(bucket: string, prefix: string, signal: AbortSignal): Promise<ObjectInfo[]> {
    const dir = await this.existingBucketDir(bucket);
    const out: ObjectInfo[] = [];
    // Walk only directories that can hold keys starting with `prefix`.
    const walk = async (absDir: string, keyPrefix: string): Promise<void> => {
      signal.throwIfAborted();
      const entries = await readdir(absDir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const key = keyPrefix + e.name;
        if (e.isDirectory()) {
          const folder = `${key}/`;
          if (folder.startsWith(prefix) || prefix.startsWith(folder))
            await walk(path.join(absDir, e.name), folder);
        } else if (e.isFile() && key.startsWith(prefix)) {
          const st = await stat(path.join(absDir, e.name));
          out.push({ key, size: st.size, lastModified: st.mtime });
        }
      }
    };
    await walk(dir, "");
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async get(bucket: string, key: string, signal: AbortSignal): Promise<Readable> {
    const file = this.objectPath(bucket, key);
    await this.existingBucketDir(bucket);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new ConnectorServerError(`The object s3://${bucket}/${key} does not exist`);
    return addAbortSignal(signal, createReadStream(file, { highWaterMark: LOCAL_READ_BYTES }));
  }

  async head(bucket: string, key: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    signal.throwIfAborted();
    const st = await stat(this.objectPath(bucket, key)).catch(() => undefined);
    return st?.isFile() ? { key, size: st.size, lastModified: st.mtime } : undefined;
  }

  async put(bucket: string, key: string, body: Buffer, signal: AbortSignal): Promise<void> {
    const target = this.objectPath(bucket, key);
    await this.existingBucketDir(bucket);
    await mkdir(this.staging, { recursive: true });
    const tmp = path.join(this.staging, `put-${randomUUID()}`);
    try {
      await writeFile(tmp, body, { signal });
      await this.moveIntoPlace(tmp, target, bucket, key);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async delete(bucket: string, key: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await unlink(this.objectPath(bucket, key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }

  async beginUpload(bucket: string, key: string, signal: AbortSignal): Promise<MultipartUpload> {
    signal.throwIfAborted();
    this.objectPath(bucket, key);
    await this.existingBucketDir(bucket);
    const uploadId = randomUUID();
    await mkdir(path.join(this.staging, uploadId), { recursive: true });
    return { bucket, key, uploadId };
  }

  async uploadPart(
    upload: MultipartUpload,
    partNumber: number,
    body: Buffer | readonly Buffer[],
    signal: AbortSignal,
  ): Promise<UploadedPart> {
    const chunks = Buffer.isBuffer(body) ? [body] : body;
    if (!Number.isSafeInteger(partNumber) || partNumber < 1)
      throw new ConnectorServerError(`Invalid part number ${partNumber}`);
    await this.serially(upload, async () => {
      signal.throwIfAborted();
      const dir = this.uploadDir(upload);
      let ends = await appendedEnds(dir);
      // A part already in the object is replaced: what follows it goes back to part files first.
      if (partNumber <= ends.length) ends = await unappendFrom(dir, ends, partNumber);
      if (partNumber === ends.length + 1) {
        await appendPart(dir, ends, chunks);
        await rm(path.join(dir, `part-${partNumber}`), { force: true });
        await absorbFollowing(dir, ends, signal);
      } else {
        await writeFile(path.join(dir, `part-${partNumber}`), chunks, { signal });
      }
    });
    return { partNumber, etag: `${partNumber}-${chunks.reduce((n, c) => n + c.length, 0)}` };
  }

  async completeUpload(upload: MultipartUpload, parts: UploadedPart[], signal: AbortSignal): Promise<void> {
    const dir = this.uploadDir(upload);
    const target = this.objectPath(upload.bucket, upload.key);
    await this.serially(upload, async () => {
      const ordered = [...parts].map((p) => p.partNumber).sort((a, b) => a - b);
      const ends = await appendedEnds(dir);
      const object = path.join(dir, "object");
      const prefix =
        ordered.length > 0 && ordered.every((n, i) => n === i + 1) && ordered.length <= ends.length;
      if (prefix) {
        signal.throwIfAborted();
        // Bytes past the last listed part (later parts, or a write cut short) are not the object's.
        await truncate(object, ends[ordered.length - 1]);
        await this.moveIntoPlace(object, target, upload.bucket, upload.key);
      } else {
        const assembled = path.join(dir, "assembled");
        await pipeline(piecesOf(dir, ends, ordered), createWriteStream(assembled), { signal });
        await this.moveIntoPlace(assembled, target, upload.bucket, upload.key);
      }
    });
    await rm(dir, { recursive: true, force: true });
  }

  /** After the call in flight on the upload (a part being appended), so that one never finds its files gone. */
  async abortUpload(upload: MultipartUpload): Promise<void> {
    await this.serially(upload, () => rm(this.uploadDir(upload), { recursive: true, force: true })).catch(
      () => {},
    );
  }

  /** Calls on one upload run one at a time (appends and markers must not interleave). */
  private serially(upload: MultipartUpload, fn: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(upload.uploadId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    const tail = next.catch(() => {});
    this.queues.set(upload.uploadId, tail);
    void tail.then(() => {
      if (this.queues.get(upload.uploadId) === tail) this.queues.delete(upload.uploadId);
    });
    return next;
  }

  private uploadDir(upload: MultipartUpload): string {
    if (!/^[0-9a-f-]{36}$/.test(upload.uploadId))
      throw new ConnectorServerError(`Unknown upload id "${upload.uploadId}"`);
    return path.join(this.staging, upload.uploadId);
  }

  private async moveIntoPlace(tmp: string, target: string, bucket: string, key: string): Promise<void> {
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConnectorServerError(
        `Could not store s3://${bucket}/${key} in the local object store (${code ?? "error"}): ` +
          "a key cannot be both an object and a folder here",
      );
    }
  }

  private bucketDir(bucket: string): string {
    if (!bucket || bucket.startsWith(".") || /[/\\\0]/.test(bucket) || bucket.length > 255) {
      throw new ConnectorServerError(`Invalid bucket name "${bucket}"`);
    }
    return path.join(this.root, bucket);
  }

  private async existingBucketDir(bucket: string): Promise<string> {
    const dir = this.bucketDir(bucket);
    const st = await stat(dir).catch(() => undefined);
    // Local buckets are directories the user makes: say where we looked (the data dir may not be theirs).
    if (!st?.isDirectory())
      throw new ConnectorServerError(`The bucket "${bucket}" does not exist (no directory ${dir})`);
    return dir;
  }

  /** Maps a key to its file, refusing anything that could escape the bucket directory. */
  private objectPath(bucket: string, key: string): string {
    const dir = this.bucketDir(bucket);
    const segments = key.split("/");
    if (!key || key.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
      throw new ConnectorServerError(
        `Invalid object key "${key}": empty, "." and ".." path segments are not allowed`,
      );
    }
    const file = path.resolve(dir, ...segments);
    if (!file.startsWith(dir + path.sep)) throw new ConnectorServerError(`Invalid object key "${key}"`);
    return file;
  }
}

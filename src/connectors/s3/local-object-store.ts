/**
 * Local-directory backend: bucket B, key K ↔ `<dataDir>/s3/B/K`. Every write lands in a hidden staging
 * directory (`<dataDir>/s3/.staging/`) on the same filesystem and is renamed into place only when complete,
 * so readers never see a partial object. Bucket names starting with "." are refused, which keeps the
 * staging directory out of every bucket listing.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { addAbortSignal, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ConnectorServerError } from "../../domain/errors.ts";
import type { MultipartUpload, ObjectInfo, ObjectStore, UploadedPart } from "./object-store.ts";

export class LocalObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly staging: string;

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
    return addAbortSignal(signal, createReadStream(file, { highWaterMark: 1 << 20 }));
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
    body: Buffer,
    signal: AbortSignal,
  ): Promise<UploadedPart> {
    await writeFile(this.partPath(upload, partNumber), body, { signal });
    return { partNumber, etag: `${partNumber}-${body.length}` };
  }

  async completeUpload(upload: MultipartUpload, parts: UploadedPart[], signal: AbortSignal): Promise<void> {
    const assembled = path.join(this.staging, upload.uploadId, "object");
    const out = createWriteStream(assembled);
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const partPath = (n: number) => this.partPath(upload, n);
    async function* concatenated() {
      for (const p of ordered) yield* createReadStream(partPath(p.partNumber));
    }
    await pipeline(concatenated, out, { signal });
    await this.moveIntoPlace(
      assembled,
      this.objectPath(upload.bucket, upload.key),
      upload.bucket,
      upload.key,
    );
    await rm(path.join(this.staging, upload.uploadId), { recursive: true, force: true });
  }

  async abortUpload(upload: MultipartUpload): Promise<void> {
    await rm(path.join(this.staging, upload.uploadId), { recursive: true, force: true }).catch(() => {});
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

  private partPath(upload: MultipartUpload, partNumber: number): string {
    return path.join(this.staging, upload.uploadId, `part-${partNumber}`);
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

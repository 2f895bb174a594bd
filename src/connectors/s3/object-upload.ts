/**
 * One object being written: bytes are buffered and uploaded as multipart parts of at least MIN_PART_SIZE
 * as they accumulate; an object that stays small is written with a single put on completion. Until
 * complete() succeeds nothing is visible in the bucket, and abort() drops the uploaded parts.
 */
import type { ByteSink } from "../../formats/record-encoder.ts";
import { MIN_PART_SIZE, type MultipartUpload, type ObjectStore, type UploadedPart } from "./object-store.ts";

export class ObjectUpload implements ByteSink {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private upload: MultipartUpload | undefined;
  private readonly parts: UploadedPart[] = [];
  /** Bytes written to this object so far (buffered or uploaded). */
  bytes = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly bucket: string,
    readonly key: string,
    private readonly partSize = MIN_PART_SIZE,
  ) {}

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.bytes += chunk.length;
  }

  /** Uploads buffered bytes as a part once there are at least partSize of them. */
  async flushParts(signal: AbortSignal): Promise<void> {
    if (this.buffered < this.partSize) return;
    this.upload ??= await this.store.beginUpload(this.bucket, this.key, signal);
    await this.uploadBuffered(signal);
  }

  async complete(signal: AbortSignal): Promise<void> {
    if (!this.upload) {
      await this.store.put(this.bucket, this.key, this.takeBuffered(), signal);
      return;
    }
    if (this.buffered > 0) await this.uploadBuffered(signal);
    await this.store.completeUpload(this.upload, this.parts, signal);
    this.upload = undefined;
  }

  async abort(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (this.upload) await this.store.abortUpload(this.upload);
    this.upload = undefined;
  }

  /** The buffered chunks go to the store as they are: the local backend writes them without a copy. */
  private async uploadBuffered(signal: AbortSignal): Promise<void> {
    const upload = this.upload!;
    const chunks = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    this.parts.push(await this.store.uploadPart(upload, this.parts.length + 1, chunks, signal));
  }

  private takeBuffered(): Buffer {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return body;
  }
}

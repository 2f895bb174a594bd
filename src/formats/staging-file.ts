/**
 * A temp file written in the background: append() returns as soon as the bytes are queued, and waits
 * only when more than HIGH_WATER bytes are still on their way to the disk, so a run's thread goes on
 * encoding the next batch while the previous one is written. A write error fails the next append or
 * the close.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";

const HIGH_WATER = 4 * 1024 * 1024;

export class StagingFile {
  private readonly stream: WriteStream;
  private failed: Error | undefined;
  private ended = false;

  private constructor(readonly path: string) {
    // "wx": a name already taken is an error, never an overwrite.
    this.stream = createWriteStream(path, { flags: "wx", highWaterMark: HIGH_WATER });
    this.stream.on("error", (e) => {
      this.failed ??= e;
    });
  }

  static async create(path: string): Promise<StagingFile> {
    const file = new StagingFile(path);
    await new Promise<void>((resolve, reject) => {
      file.stream.once("ready", resolve);
      file.stream.once("error", reject);
    });
    return file;
  }

  async append(bytes: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.stream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("error", done);
    });
    if (this.failed) throw this.failed;
  }

  /** Every byte on disk, the file closed. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (this.failed) throw this.failed;
  }

  /** Closes (ignoring a failed write) and removes the file. */
  async discard(): Promise<void> {
    await this.close().catch(() => {});
    await rm(this.path, { force: true });
  }
}

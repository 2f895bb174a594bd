/**
 * s3rver 3.7.1 on loopback, with two faults of it corrected so tests observe Sluice, not s3rver:
 *
 * - Its filesystem store acknowledges PutObject/UploadPart before the file is written: it resolves on
 *   the hashing Transform's "finish" (its input consumed), not the file stream's, and a Buffer body is
 *   resolved right after `end()`. A ListObjects or CompleteMultipartUpload just after the 200 can then
 *   stat or read a short file (the "86 !== 35" flake: a listed size of 0 for an object just put). The
 *   store below resolves once the file is on disk.
 * - It answers AbortMultipartUpload with MethodNotAllowed and has no ListMultipartUploads, so an abort
 *   left its parts behind and a test could not see it. AbortMultipartUpload is added (S3's answers:
 *   204, or 404 NoSuchUpload), and `openUploads()` lists the uploads its store still holds.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import S3rver from "s3rver";
import FilesystemStore from "s3rver/lib/stores/filesystem.js";

class FlushingStore extends FilesystemStore {
  override async putObject(object: { bucket: string; key: string; content: unknown; metadata: object }) {
    const file = this.getResourcePath(object.bucket, object.key, "object");
    await mkdir(path.dirname(file), { recursive: true });
    const { size, md5 } = await writeHashed(object.content, file);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };
  }

  override async putPart(bucket: string, uploadId: string, partNumber: number, content: unknown) {
    const file = path.join(this.uploadsDir(bucket), uploadId, String(partNumber));
    await mkdir(path.dirname(file), { recursive: true });
    const { size, md5 } = await writeHashed(content, file);
    await writeFile(`${file}.md5`, md5);
    return { size, md5 };
  }

  uploadsDir(bucket: string): string {
    return this.getResourcePath(bucket, undefined, "uploads");
  }
}

async function writeHashed(content: unknown, file: string): Promise<{ size: number; md5: string }> {
  const hash = createHash("md5");
  let size = 0;
  const body = Buffer.isBuffer(content) ? Readable.from([content]) : (content as Readable);
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(body, count, createWriteStream(file));
  return { size, md5: hash.digest("hex") };
}

export interface S3rverFixture {
  endpoint: string;
  /** Upload ids of the multipart uploads begun in `bucket` and neither completed nor aborted. */
  openUploads(bucket: string): Promise<string[]>;
  /** Open client connections (keep-alive sockets included). */
  connections(): Promise<number>;
  close(): Promise<void>;
}

export async function startS3rver(directory: string): Promise<S3rverFixture> {
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory });
  const store = new FlushingStore(directory);
  server.store = store;
  server.context.store = store;
  // Ahead of s3rver's router: DELETE /<bucket>/<key>?uploadId=<id> is AbortMultipartUpload.
  server.middleware.unshift(async (ctx, next) => {
    const m = /^\/([^/]+)\/.+/.exec(ctx.path);
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== "DELETE" || !m || typeof uploadId !== "string") return next();
    const dir = path.join(store.uploadsDir(decodeURIComponent(m[1]!)), path.basename(uploadId));
    if (!(await stat(dir).catch(() => undefined))) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
      return;
    }
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    openUploads: async (bucket) => (await readdir(store.uploadsDir(bucket)).catch(() => [])).sort(),
    connections: () =>
      new Promise((resolve, reject) =>
        (server.httpServer as Server).getConnections((err, n) => (err ? reject(err) : resolve(n))),
      ),
    close: () => server.close(),
  };
}

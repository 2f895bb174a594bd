/**
 * S3-compatible backend through @aws-sdk/client-s3: path-style addressing (MinIO, s3rver, Ceph...),
 * real multipart uploads, and the abort signal on every call so a cancel stops in-flight requests.
 */

import { createRequire } from "node:module";
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { ConnectorServerError } from "../../domain/errors.ts";
import type { ConnectorEnvironment } from "../types.ts";
import type { MultipartUpload, ObjectInfo, ObjectStore, UploadedPart } from "./object-store.ts";

type S3Sdk = typeof import("@aws-sdk/client-s3");
let loaded: S3Sdk | undefined;
/**
 * The SDK (~15 MB of memory per thread) is loaded by the first client: a server whose S3 connector uses
 * the local directory never loads it, nor does a run's thread that doesn't touch S3.
 */
function sdk(): S3Sdk {
  loaded ??= createRequire(import.meta.url)("@aws-sdk/client-s3") as S3Sdk;
  return loaded;
}

export class SdkObjectStore implements ObjectStore {
  private readonly client: S3Client;

  constructor(config: ConnectorEnvironment["s3"]) {
    this.client = new (sdk().S3Client)({
      endpoint: config.endpoint,
      forcePathStyle: true,
      region: config.region ?? "us-east-1",
      credentials:
        config.accessKeyId && config.secretAccessKey
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
          : undefined,
      // Many S3-compatible servers reject the SDK's default flexible checksums; send them only when required.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  /** Closes the client's keep-alive sockets. */
  destroy(): void {
    this.client.destroy();
  }

  async listBuckets(signal: AbortSignal): Promise<string[]> {
    const out = await this.call("ListBuckets", "", () =>
      this.client.send(new (sdk().ListBucketsCommand)({}), { abortSignal: signal }),
    );
    return (out.Buckets ?? []).flatMap((b) => (b.Name ? [b.Name] : [])).sort();
  }

  async createBucket(bucket: string, signal: AbortSignal): Promise<void> {
    await this.call("CreateBucket", bucket, () =>
      this.client.send(new (sdk().CreateBucketCommand)({ Bucket: bucket }), { abortSignal: signal }),
    ).catch((e: unknown) => {
      if (
        !(e instanceof ConnectorServerError && /BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e.message))
      )
        throw e;
    });
  }

  async list(bucket: string, prefix: string, signal: AbortSignal): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call("ListObjectsV2", bucket, () =>
        this.client.send(
          new (sdk().ListObjectsV2Command)({
            Bucket: bucket,
            Prefix: prefix || undefined,
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async get(bucket: string, key: string, signal: AbortSignal): Promise<Readable> {
    const out = await this.call("GetObject", bucket, () =>
      this.client.send(new (sdk().GetObjectCommand)({ Bucket: bucket, Key: key }), { abortSignal: signal }),
    );
    if (!(out.Body instanceof Readable))
      throw new ConnectorServerError(`GetObject s3://${bucket}/${key}: no body`);
    return out.Body;
  }

  async head(bucket: string, key: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new (sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified };
    } catch (e) {
      if (e instanceof sdk().S3ServiceException && e.$metadata.httpStatusCode === 404) return undefined;
      throw this.translate("HeadObject", bucket, e);
    }
  }

  async put(bucket: string, key: string, body: Buffer, signal: AbortSignal): Promise<void> {
    await this.call("PutObject", bucket, () =>
      this.client.send(new (sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body }), {
        abortSignal: signal,
      }),
    );
  }

  async delete(bucket: string, key: string, signal: AbortSignal): Promise<void> {
    await this.call("DeleteObject", bucket, () =>
      this.client.send(new (sdk().DeleteObjectCommand)({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      }),
    );
  }

  async beginUpload(bucket: string, key: string, signal: AbortSignal): Promise<MultipartUpload> {
    const out = await this.call("CreateMultipartUpload", bucket, () =>
      this.client.send(new (sdk().CreateMultipartUploadCommand)({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      }),
    );
    if (!out.UploadId)
      throw new ConnectorServerError(`CreateMultipartUpload s3://${bucket}/${key}: no upload id`);
    return { bucket, key, uploadId: out.UploadId };
  }

  async uploadPart(
    upload: MultipartUpload,
    partNumber: number,
    chunks: Buffer | readonly Buffer[],
    signal: AbortSignal,
  ): Promise<UploadedPart> {
    const { bucket: Bucket, key: Key, uploadId: UploadId } = upload;
    const body = Buffer.isBuffer(chunks) ? chunks : Buffer.concat(chunks);
    const out = await this.call("UploadPart", Bucket, () =>
      this.client.send(
        new (sdk().UploadPartCommand)({ Bucket, Key, UploadId, PartNumber: partNumber, Body: body }),
        {
          abortSignal: signal,
        },
      ),
    );
    return { partNumber, etag: out.ETag ?? "" };
  }

  async completeUpload(upload: MultipartUpload, parts: UploadedPart[], signal: AbortSignal): Promise<void> {
    const { bucket: Bucket, key: Key, uploadId: UploadId } = upload;
    const Parts = [...parts]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
    await this.call("CompleteMultipartUpload", Bucket, () =>
      this.client.send(
        new (sdk().CompleteMultipartUploadCommand)({ Bucket, Key, UploadId, MultipartUpload: { Parts } }),
        {
          abortSignal: signal,
        },
      ),
    );
  }

  async abortUpload(upload: MultipartUpload): Promise<void> {
    const { bucket: Bucket, key: Key, uploadId: UploadId } = upload;
    // No signal on purpose: this runs after a cancel and must still reach the server.
    await this.client
      .send(new (sdk().AbortMultipartUploadCommand)({ Bucket, Key, UploadId }), {
        abortSignal: AbortSignal.timeout(30_000),
      })
      .catch(() => {});
  }

  private async call<T>(op: string, bucket: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(op, bucket, e);
    }
  }

  /** S3 errors become ConnectorServerError; aborts stay aborts so the engine sees a cancel, not a failure. */
  private translate(op: string, bucket: string, e: unknown): unknown {
    if (e instanceof Error && e.name === "AbortError") return e;
    if (e instanceof sdk().S3ServiceException) {
      if (e.name === "NoSuchBucket") return new ConnectorServerError(`The bucket "${bucket}" does not exist`);
      return new ConnectorServerError(`S3 ${op} failed: ${e.name}: ${e.message}`);
    }
    const msg = e instanceof Error ? e.message : String(e);
    return new ConnectorServerError(`S3 ${op} failed: ${msg}`);
  }
}

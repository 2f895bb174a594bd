/** Starts each object-store backend the S3 tests run against: the local directory and s3rver on loopback. */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ObjectStore } from "../../src/connectors/s3/object-store.ts";
import { openObjectStore } from "../../src/connectors/s3/open-object-store.ts";
import type { ConnectorEnvironment } from "../../src/connectors/types.ts";
import { type S3rverFixture, startS3rver } from "./s3rver-fixture.ts";

export interface Backend {
  name: string;
  env: ConnectorEnvironment;
  store: ObjectStore;
  dataDir: string;
  /** Multipart uploads begun and neither completed nor aborted (local: staging directories). */
  openUploads(bucket: string): Promise<string[]>;
  /** The s3rver fixture, for the S3-compatible backend. */
  s3rver?: S3rverFixture;
  close(): Promise<void>;
}

const baseEnv = { redshiftBatchRows: 1000, sourceParallelism: 2, batchRows: 1000 };

export async function startBackend(kind: "local" | "s3rver"): Promise<Backend> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `sluice-s3-${kind}-`));
  if (kind === "local") {
    const env: ConnectorEnvironment = { ...baseEnv, dataDir, s3: {} };
    return {
      name: kind,
      env,
      store: openObjectStore(env),
      dataDir,
      openUploads: async () =>
        (await readdir(path.join(dataDir, "s3", ".staging")).catch(() => [])).filter(
          (n) => !n.startsWith("put-"),
        ),
      close: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const server = await startS3rver(path.join(dataDir, "s3rver"));
  const env: ConnectorEnvironment = {
    ...baseEnv,
    dataDir,
    s3: {
      endpoint: server.endpoint,
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      region: "us-east-1",
    },
  };
  return {
    name: kind,
    env,
    store: openObjectStore(env),
    dataDir,
    openUploads: (bucket) => server.openUploads(bucket),
    s3rver: server,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function readAll(store: ObjectStore, bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(bucket, key, AbortSignal.timeout(30_000))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

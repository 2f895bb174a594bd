/** Starts each object-store backend the S3 tests run against: the local directory and s3rver on loopback. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import type { ObjectStore } from "../../src/connectors/s3/object-store.ts";
import { openObjectStore } from "../../src/connectors/s3/open-object-store.ts";
import type { ConnectorEnvironment } from "../../src/connectors/types.ts";

export interface Backend {
  name: string;
  env: ConnectorEnvironment;
  store: ObjectStore;
  dataDir: string;
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
      close: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: path.join(dataDir, "s3rver"),
  });
  const { port } = await server.run();
  const env: ConnectorEnvironment = {
    ...baseEnv,
    dataDir,
    s3: {
      endpoint: `http://127.0.0.1:${port}`,
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

/**
 * Picks the object-store backend from the server environment, and keeps one S3 client per endpoint and
 * credentials: a client owns a pool of keep-alive sockets, so building one per run (and never destroying
 * it) left sockets open until the server closed them. `closeObjectStores()` destroys them at shutdown.
 */
import { createHash } from "node:crypto";
import type { ConnectorEnvironment } from "../types.ts";
import { LocalObjectStore } from "./local-object-store.ts";
import type { ObjectStore } from "./object-store.ts";
import { SdkObjectStore } from "./sdk-object-store.ts";

const clients = new Map<string, SdkObjectStore>();

/** An S3 endpoint when configured, else `<dataDir>/s3`. */
export function openObjectStore(env: ConnectorEnvironment): ObjectStore {
  if (!env.s3.endpoint) return new LocalObjectStore(env.dataDir);
  const { endpoint, region, accessKeyId, secretAccessKey } = env.s3;
  // Keyed by a hash so the secret is not kept as a map key in the clear.
  const key = createHash("sha256")
    .update(JSON.stringify([endpoint, region ?? "", accessKeyId ?? "", secretAccessKey ?? ""]))
    .digest("hex");
  let store = clients.get(key);
  if (!store) {
    store = new SdkObjectStore(env.s3);
    clients.set(key, store);
  }
  return store;
}

/**
 * Closes every S3 client's sockets (server shutdown). A store still held somewhere keeps working: the SDK
 * opens new sockets on its next call, and the next openObjectStore() builds a fresh client.
 */
export function closeObjectStores(): void {
  for (const store of clients.values()) store.destroy();
  clients.clear();
}

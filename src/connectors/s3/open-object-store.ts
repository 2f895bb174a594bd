import type { ConnectorEnvironment } from "../types.ts";
import { LocalObjectStore } from "./local-object-store.ts";
import type { ObjectStore } from "./object-store.ts";
import { SdkObjectStore } from "./sdk-object-store.ts";

/** Picks the backend from the server environment: an S3 endpoint when configured, else `<dataDir>/s3`. */
export function openObjectStore(env: ConnectorEnvironment): ObjectStore {
  return env.s3.endpoint ? new SdkObjectStore(env.s3) : new LocalObjectStore(env.dataDir);
}

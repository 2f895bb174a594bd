/** The services a request handler may use; built once by main.ts. */
import type { CredentialStore } from "./api/protocol/credentials.ts";
import type { Throttle } from "./api/protocol/throttle.ts";
import type { Config } from "./config.ts";
import type { SecretBox } from "./domain/secrets.ts";
import type { WorkerPool } from "./engine/worker-pool.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import type { Store } from "./store/open-store.ts";

export interface App {
  config: Config;
  store: Store;
  secrets: SecretBox;
  credentials: CredentialStore;
  throttle: Throttle;
  workers: WorkerPool;
  log: Logger;
  metrics: Metrics;
  now(): number;
}

/** Who is calling, from the verified signature. */
export interface Caller {
  accountId: string;
  region: string;
  principalArn: string;
  requestId: string;
}

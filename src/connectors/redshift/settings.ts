/**
 * The Redshift connector's server settings (merged into the config schema by the registry) and their
 * typed reading from the connector environment.
 */

import type { Setting } from "../../config-setting.ts";
import { int, ms, secret, text, url } from "../../config-setting.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "../sdk/failures.ts";
import type { ConnectorEnvironment } from "../types.ts";

// biome-ignore format: one line per setting
export const redshiftSettings: Record<string, Setting> = {
  dataApiEndpoint: { env: ["SLUICE_REDSHIFT_DATA_ENDPOINT"], ...url(["http:", "https:"]), doc: "Redshift Data API endpoint (default: the AWS regional endpoint)" },
  dataApiRegion: { env: ["SLUICE_REDSHIFT_DATA_REGION"], ...text(), doc: "region of the Redshift Data API (default: SLUICE_S3_REGION)" },
  dataApiAccessKeyId: { env: ["SLUICE_REDSHIFT_DATA_ACCESS_KEY_ID"], ...secret(), doc: "access key for the Redshift Data API (default: the AWS SDK's credential chain)" },
  dataApiSecretAccessKey: { env: ["SLUICE_REDSHIFT_DATA_SECRET_ACCESS_KEY"], ...secret(), doc: "secret key for the Redshift Data API" },
  batchAttempts: { env: ["SLUICE_REDSHIFT_BATCH_ATTEMPTS"], default: DEFAULT_RETRY.attempts, ...int(1, 20), doc: "attempts at a Redshift/PostgreSQL batch whose connection failed (it was rolled back)" },
  copyConnections: { env: ["SLUICE_REDSHIFT_COPY_CONNECTIONS"], default: 2, ...int(1, 8), doc: "PostgreSQL connections a run loads batches over at once (a batch's COMMIT overlaps the next batch's COPY)" },
  batchRetryMs: { env: ["SLUICE_REDSHIFT_BATCH_RETRY_MS"], default: DEFAULT_RETRY.baseDelayMs, ...ms(0), doc: "backoff before the 2nd attempt, doubled each time (at most 30 s)" },
};

export interface RedshiftSettings {
  dataApi: { endpoint?: string; region?: string; accessKeyId?: string; secretAccessKey?: string };
  retry: RetryPolicy;
  /** Batches loaded at once over COPY FROM STDIN (PostgreSQL), each on its own connection. */
  copyConnections: number;
}

export function readRedshiftSettings(env: ConnectorEnvironment): RedshiftSettings {
  const v = env.connectors?.Redshift ?? {};
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const num = (k: string, d: number) => (typeof v[k] === "number" ? (v[k] as number) : d);
  return {
    dataApi: {
      endpoint: str("dataApiEndpoint"),
      region: str("dataApiRegion"),
      accessKeyId: str("dataApiAccessKeyId"),
      secretAccessKey: str("dataApiSecretAccessKey"),
    },
    retry: {
      attempts: num("batchAttempts", DEFAULT_RETRY.attempts),
      baseDelayMs: num("batchRetryMs", DEFAULT_RETRY.baseDelayMs),
      maxDelayMs: DEFAULT_RETRY.maxDelayMs,
    },
    copyConnections: num("copyConnections", 2),
  };
}

/** The server settings connectors see (ConnectorEnvironment), from the server config. */
import type { App } from "../../app.ts";
import type { ConnectorEnvironment } from "../../connectors/types.ts";

export function connectorEnv(app: App): ConnectorEnvironment {
  const e = app.config.engine;
  return {
    dataDir: app.config.dataDir,
    s3: app.config.s3,
    redshiftBatchRows: e.redshiftBatchRows,
    sourceParallelism: e.sourceParallelism,
    parseThreads: e.parseThreads,
    batchRows: e.batchRows,
    connectors: app.config.connectors ?? {},
    metrics: app.metrics.connectors,
  };
}

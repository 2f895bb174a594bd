/** The `sluice` command line: `sluice serve` starts the server. */
import { Command } from "commander";
import { loadConfig } from "./config.ts";
import { startSluice } from "./main.ts";

const program = new Command()
  .name("sluice")
  .description(
    "A self-hosted data flow service that speaks the Amazon AppFlow API and really runs the flows.",
  );

program
  .command("serve")
  .description("start the AppFlow-compatible server")
  .option("--host <host>", "address to listen on (env SLUICE_HOST, default 127.0.0.1)")
  .option("--port <port>", "port to listen on (env SLUICE_PORT, default 4747)", (v) => Number(v))
  .option("--data-dir <dir>", "where state lives (env SLUICE_DATA_DIR, default ./.sluice)")
  .option("--database-url <url>", "PostgreSQL URL instead of SQLite (env SLUICE_DATABASE_URL)")
  .option(
    "--credentials <file>",
    "access keys file (env SLUICE_CREDENTIALS_FILE, default <data-dir>/credentials.json)",
  )
  .option(
    "--s3-endpoint <url>",
    "S3-compatible endpoint for the S3 connector (env SLUICE_S3_ENDPOINT; default: local directory)",
  )
  .option("--workers <n>", "concurrent runs in this process (env SLUICE_WORKERS, default 4)", (v) =>
    Number(v),
  )
  .option("--webhook <url...>", "POST run reports to these URLs (env SLUICE_WEBHOOKS, comma-separated)")
  .option("--log-level <level>", "trace, debug, info, warn, error (env SLUICE_LOG_LEVEL, default info)")
  .action(async (opts) => {
    const config = loadConfig({
      host: opts.host,
      port: opts.port,
      dataDir: opts.dataDir,
      databaseUrl: opts.databaseUrl,
      credentialsFile: opts.credentials,
      logLevel: opts.logLevel,
      webhooks: opts.webhook,
      s3: { endpoint: opts.s3Endpoint },
      engine: { workers: opts.workers },
    });
    const sluice = await startSluice(config);
    const shutdown = (signal: string) => {
      sluice.app.log.info({ signal }, "shutting down");
      sluice.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

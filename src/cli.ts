/**
 * The `sluice` command line: `sluice serve` runs the server; `flows`, `runs`, `start` and `cancel` talk
 * to a running one over the AppFlow API.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { addClientCommands } from "./cli/commands.ts";
import { ConfigError, loadConfig } from "./config.ts";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("sluice")
  .version(pkg.version)
  .description(
    "A self-hosted data flow service that speaks the Amazon AppFlow API and really runs the flows.",
  );

program
  .command("serve")
  .description("start the AppFlow-compatible server (flags override SLUICE_* environment variables)")
  .option("--host <host>", "address to listen on (env SLUICE_HOST, default 127.0.0.1)")
  .option("--port <port>", "port to listen on, 0 to 65535 (env SLUICE_PORT, default 4747)")
  .option("--data-dir <dir>", "where state lives (env SLUICE_DATA_DIR, default ./.sluice)")
  .option(
    "--database-url <url>",
    "postgres:// URL: state in PostgreSQL instead of SQLite (env SLUICE_DATABASE_URL)",
  )
  .option(
    "--credentials <file>",
    "access keys file (env SLUICE_CREDENTIALS_FILE, default <data-dir>/credentials.json)",
  )
  .option(
    "--s3-endpoint <url>",
    "S3-compatible endpoint for the S3 connector (env SLUICE_S3_ENDPOINT; default: local directory)",
  )
  .option("--workers <n>", "concurrent runs in this process, 1 to 1000 (env SLUICE_WORKERS, default 4)")
  .option("--webhook <url...>", "POST run reports to these URLs (env SLUICE_WEBHOOKS, comma-separated)")
  .option(
    "--log-level <level>",
    "trace, debug, info, warn, error, fatal or silent (env SLUICE_LOG_LEVEL, default info)",
  )
  .option(
    "--log-format <format>",
    "pretty, json or auto: pretty on a terminal, else JSON (env SLUICE_LOG_FORMAT, default auto)",
  )
  .action(async (opts) => {
    // Raw strings: loadConfig validates and converts them, naming the flag in any error.
    const config = loadConfig({
      host: opts.host,
      port: opts.port,
      dataDir: opts.dataDir,
      databaseUrl: opts.databaseUrl,
      credentialsFile: opts.credentials,
      logLevel: opts.logLevel,
      logFormat: opts.logFormat,
      webhooks: opts.webhook,
      s3: { endpoint: opts.s3Endpoint },
      engine: { workers: opts.workers },
    });
    // Signals are handled from the start: one that arrives while starting stops the server once it is up.
    let stopRequested: string | undefined;
    let stopNow: ((signal: string) => void) | undefined;
    const onSignal = (signal: string) => {
      if (stopNow) stopNow(signal);
      else stopRequested ??= signal;
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    // Loaded after the config is validated: a refused start answers at once.
    const { startSluice } = await import("./main.ts");
    const sluice = await startSluice(config);
    stopNow = (signal) => {
      sluice.app.log.info({ signal }, "shutting down");
      sluice.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    if (stopRequested) stopNow(stopRequested);
  });

addClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`sluice: ${describe(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});

/** One line a person can act on: the API's error name and message, not a stack. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // AWS error names (ResourceNotFoundException, …) tell a user what happened; pg's "error" doesn't.
  const name =
    /Exception$|Error$/.test(err.name) && err.name !== "Error" && !(err instanceof ConfigError)
      ? `${err.name}: `
      : "";
  return `${name}${err.message}`;
}

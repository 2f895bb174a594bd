/**
 * Logs (pino): JSON lines for machines, or pino-pretty's coloured lines for a person at a terminal.
 * Secret-bearing keys are redacted wherever they appear, in both formats.
 */
import { type DestinationStream, type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type { Logger };
export type LogFormat = "auto" | "pretty" | "json";

export const redactPaths = [
  "password",
  "secretAccessKey",
  "credentials",
  "connectorProfileCredentials",
  "authorization",
  "*.password",
  "*.secretAccessKey",
  "*.credentials",
  "*.connectorProfileCredentials",
  "*.authorization",
  "headers.authorization",
];

/** `auto` means pretty when stdout is a terminal (a person is reading), JSON otherwise (a collector is). */
export function resolveLogFormat(
  format: LogFormat,
  isTTY = process.stdout.isTTY === true,
): "pretty" | "json" {
  return format === "auto" ? (isTTY ? "pretty" : "json") : format;
}

export function createLogger(
  level: string,
  destination?: DestinationStream,
  format: LogFormat = "json",
): Logger {
  const stream =
    destination ??
    (resolveLogFormat(format) === "pretty"
      ? // Synchronous, in-process: no transport worker thread, and nothing lost at process.exit.
        pretty({
          sync: true,
          colorize: process.stdout.isTTY === true,
          translateTime: "SYS:HH:MM:ss.l",
          singleLine: true,
          ignore: "pid,hostname,service",
        })
      : undefined);
  return pino(
    {
      level,
      base: { service: "sluice" },
      redact: { paths: redactPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/** Structured JSON logs (pino). Secret-bearing keys are redacted wherever they appear. */
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "sluice" },
      redact: { paths: redactPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

// TEMPORARY placeholder written by the lead so the server can boot while the shapes are being written.
// The shapes helper owns this file: overwrite it freely.

import { ValidationError } from "../../domain/errors.ts";
import type { OperationName } from "../protocol/operations.ts";

export function parseInput(_op: OperationName, raw: unknown): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ValidationError("request body must be a JSON object");
  }
  return raw;
}

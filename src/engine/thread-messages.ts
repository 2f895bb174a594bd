/**
 * The messages between the main thread and a run's worker thread. Everything crossing is plain data
 * (structured clone): the run row, the connector environment (its metrics become "gauge" messages),
 * counts, profiles, log lines. Only the
 * main thread touches the store, so every store effect of the run is a request the main thread serves.
 */
import type { ConnectorEnvironment, ResolvedProfile } from "../connectors/types.ts";
import { type AppFlowErrorName, SluiceError } from "../domain/errors.ts";
import type { RunCounts } from "../store/runs/touch-run.ts";
import type { RunsTable } from "../store/schema.ts";
import type { ExecutionOutcome } from "./run-executor.ts";
import type { StopReason } from "./run-handle.ts";

/** An error as it crosses: a SluiceError keeps its code (the executor reports its message). */
export interface WireError {
  message: string;
  code?: AppFlowErrorName;
}

export type ToThread =
  | { type: "run"; run: RunsTable; env: ConnectorEnvironment; logLevel: string }
  | { type: "stop"; reason: StopReason }
  | { type: "hard"; reason: StopReason }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: WireError };

export type FromThread =
  | { type: "checkpoint"; id: number; counts: RunCounts }
  | { type: "profile"; id: number; accountId: string; name: string }
  | { type: "save-credentials"; id: number; profileId: number; updated: Record<string, unknown> }
  | { type: "started" }
  | { type: "gauge"; name: string; help: string; labels: Record<string, string>; value: number }
  | { type: "log"; line: string }
  | { type: "result"; outcome: ExecutionOutcome };

/** The answer to a "profile" request: the decrypted profile and a handle for saving its credentials. */
export interface ProfileReply {
  profileId: number;
  profile: ResolvedProfile;
}

export function toWire(err: unknown): WireError {
  if (err instanceof SluiceError) return { message: err.message, code: err.code };
  return { message: err instanceof Error ? err.message : String(err) };
}

export function fromWire(e: WireError): Error {
  return e.code ? new SluiceError(e.code, e.message) : new Error(e.message);
}

/**
 * The one context a connector receives for a run, in the style of Temporal's activity Context:
 * the soft signal (stop at the next safe point), the hard signal (abort I/O now: the grace period is
 * over), progress reports, a logger, the decrypted profile, and saveCredentials for rotated tokens.
 * Commit calls (CompleteMultipartUpload, COMMIT, an ingest job's upload-complete) must only ever be
 * given `hardSignal`: a soft cancel must never abort a commit the service may already have accepted.
 */
import type { FlowDefinition } from "../../domain/flow.ts";
import type { Logger } from "../../logger.ts";
import type { ConnectorEnvironment, ResolvedProfile, WriteProgress } from "../types.ts";

/** The flow-level part: what the run is, independent of cancellation. */
export interface RunContext {
  flow: FlowDefinition;
  executionId: string;
  /** When the run started: the destination's path layout uses it (UTC). */
  startedAt: Date;
  env: ConnectorEnvironment;
}

export interface ConnectorRunContext extends RunContext {
  /** Soft: cancel requested. Streaming connectors stop now; batch connectors finish the batch in flight. */
  signal: AbortSignal;
  /** Hard: the cancel grace period is over (or the server is stopping). Abort every call at once. */
  hardSignal: AbortSignal;
  /** A destination reports what it has committed mid-write (e.g. several COPY batches in one write). */
  progress(committed: WriteProgress): void;
  log: Logger;
  /** The decrypted connector profile, when the flow names one. */
  profile?: ResolvedProfile;
  /**
   * Stores rotated credentials (a refreshed OAuth token) encrypted, fenced on the credentials this
   * run read: if another run refreshed first, nothing is written and the stored (newer) credentials
   * are returned for the connector to use instead. Resolves with the credentials now in effect.
   */
  saveCredentials(updated: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Incremental runs: the window of source data to pull (epoch ms); a source filters on it. */
  dataPullWindow?: { start?: number; end: number };
}

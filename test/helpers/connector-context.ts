/** A ConnectorRunContext for calling a connector directly in tests (no engine). */
import type {
  ConnectorRunContext,
  ResolvedProfile,
  RunContext,
  WriteProgress,
} from "../../src/connectors/types.ts";
import { createLogger } from "../../src/logger.ts";

export interface ContextOptions {
  signal?: AbortSignal;
  hardSignal?: AbortSignal;
  profile?: ResolvedProfile;
  /** Receives every progress report. */
  onProgress?: (p: WriteProgress) => void;
  saveCredentials?: ConnectorRunContext["saveCredentials"];
}

export function connectorContext(base: RunContext, o: ContextOptions = {}): ConnectorRunContext {
  const signal = o.signal ?? AbortSignal.timeout(120_000);
  return {
    ...base,
    signal,
    hardSignal: o.hardSignal ?? signal,
    progress: (p) => o.onProgress?.(p),
    log: createLogger("silent"),
    profile: o.profile,
    saveCredentials: o.saveCredentials ?? (async (c) => c),
    dataPullWindow: base.flow.dataPullWindow,
  };
}

/**
 * The longest record (a CSV row or a JSON line) the readers accept. A reader must hold a whole record
 * in memory before it can yield it, so without a limit one malformed file (an unclosed quote, a file
 * with no line breaks) could exhaust the server's memory; past the limit the read fails instead.
 * Counted in characters of decoded text: equal to bytes for ASCII, at most 3x fewer for other text.
 */
import { ConnectorServerError } from "../domain/errors.ts";

export const DEFAULT_MAX_RECORD_MB = 100;
export const MB = 1024 * 1024;

export function recordTooLong(where: string, limit: number): ConnectorServerError {
  const size = limit % MB === 0 ? `${limit / MB} MB` : `${limit} characters`;
  return new ConnectorServerError(
    `${where}: the record is longer than the maximum record size (${size}); ` +
      "the server setting SLUICE_S3_MAX_RECORD_MB raises the limit",
  );
}

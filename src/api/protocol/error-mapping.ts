/**
 * The one boundary where errors become AppFlow error responses (x-amzn-ErrorType + {"message"}).
 * Anything unmapped is logged with the request id and answered as InternalServerException, without
 * internals (no stack, no SQL). A database outage is answered as a retryable InternalServerException
 * saying so (see StoreUnavailableError).
 */
import { AuthenticationError, errorStatus, SluiceError, StoreUnavailableError } from "../../domain/errors.ts";
import type { Logger } from "../../logger.ts";
import { isStoreUnavailable } from "../../store/store-errors.ts";

export interface ErrorResponse {
  status: number;
  type: string;
  message: string;
}

export function toErrorResponse(err: unknown, requestId: string, log: Logger): ErrorResponse {
  if (err instanceof SluiceError)
    return { status: errorStatus[err.code], type: err.code, message: err.message };
  if (err instanceof AuthenticationError) return { status: err.status, type: err.code, message: err.message };
  if (isStoreUnavailable(err)) {
    log.warn({ err, requestId }, "the database is unavailable");
    const e = new StoreUnavailableError(requestId);
    return { status: errorStatus[e.code], type: e.code, message: e.message };
  }
  log.error({ err, requestId }, "unhandled error");
  return {
    status: 500,
    type: "InternalServerException",
    message: `An internal error occurred. Request id: ${requestId}`,
  };
}

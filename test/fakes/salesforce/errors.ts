/**
 * Salesforce error bodies as the fake answers them.
 *
 * Docs: REST API Developer Guide, "Status Codes and Error Responses"
 * (https://developer.salesforce.com/docs/platform/api-rest/guide/errorcodes.html): the body is a JSON
 * array of `{message, errorCode[, fields]}`; 401 = session expired or invalid (INVALID_SESSION_ID),
 * 403 with REQUEST_LIMIT_EXCEEDED = the org's API request limit is used up, 404 = resource not found,
 * 500 = internal error, 503 = server unavailable. OAuth token errors are `{error, error_description}`
 * (see oauth.ts).
 */
export class SalesforceError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }

  body(): unknown {
    const entry: Record<string, unknown> = { message: this.message, errorCode: this.errorCode };
    if (this.fields) entry.fields = this.fields;
    return [entry];
  }
}

export const sessionExpired = (): SalesforceError =>
  new SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid");

export const requestLimitExceeded = (): SalesforceError =>
  new SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");

export const serverUnavailable = (): SalesforceError =>
  new SalesforceError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later.");

export const unknownException = (): SalesforceError =>
  new SalesforceError(
    500,
    "UNKNOWN_EXCEPTION",
    "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)",
  );

export const notFound = (what?: string): SalesforceError =>
  new SalesforceError(
    404,
    "NOT_FOUND",
    what ? `The requested resource does not exist (${what})` : "The requested resource does not exist",
  );

/** An endpoint Salesforce has but this fake does not implement: said plainly, never a fake success. */
export const notImplemented = (method: string, path: string): SalesforceError =>
  new SalesforceError(
    404,
    "NOT_FOUND",
    `The requested resource does not exist (the fake Salesforce does not implement ${method} ${path})`,
  );

export const badRequest = (errorCode: string, message: string): SalesforceError =>
  new SalesforceError(400, errorCode, message);

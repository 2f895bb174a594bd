/**
 * The one error hierarchy. Domain, store, engine and connector code throw these; the HTTP boundary
 * (api/protocol/error-mapping.ts) is the only place that turns them into AppFlow error responses.
 */
export type AppFlowErrorName =
  | "ValidationException"
  | "UnsupportedOperationException"
  | "ConnectorServerException"
  | "ConnectorAuthenticationException"
  | "ServiceQuotaExceededException"
  | "AccessDeniedException"
  | "ResourceNotFoundException"
  | "ConflictException"
  | "ThrottlingException"
  | "InternalServerException";

/** HTTP status of each modeled AppFlow error, as the service model binds it. */
export const errorStatus: Record<AppFlowErrorName, number> = {
  ValidationException: 400,
  UnsupportedOperationException: 400,
  ConnectorServerException: 400,
  ConnectorAuthenticationException: 401,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  InternalServerException: 500,
};

export class SluiceError extends Error {
  constructor(
    readonly code: AppFlowErrorName,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export class ValidationError extends SluiceError {
  constructor(message: string) {
    super("ValidationException", message);
  }
}
export class UnsupportedOperationError extends SluiceError {
  constructor(message: string) {
    super("UnsupportedOperationException", message);
  }
}
export class ResourceNotFoundError extends SluiceError {
  constructor(message: string) {
    super("ResourceNotFoundException", message);
  }
}
export class ConflictError extends SluiceError {
  constructor(message: string) {
    super("ConflictException", message);
  }
}
export class QuotaExceededError extends SluiceError {
  constructor(message: string) {
    super("ServiceQuotaExceededException", message);
  }
}
export class AccessDeniedError extends SluiceError {
  constructor(message: string) {
    super("AccessDeniedException", message);
  }
}
export class ThrottlingError extends SluiceError {
  constructor(message = "Rate exceeded") {
    super("ThrottlingException", message);
  }
}
export class ConnectorAuthenticationError extends SluiceError {
  constructor(message: string) {
    super("ConnectorAuthenticationException", message);
  }
}
export class ConnectorServerError extends SluiceError {
  constructor(message: string) {
    super("ConnectorServerException", message);
  }
}

/**
 * The service's own database is unreachable (restarting, down, connection lost). AppFlow's model has
 * no 503 shape; InternalServerException (500) is declared by every operation and every AWS SDK
 * retries a 500 with backoff, so callers ride out the outage without code of their own.
 */
export class StoreUnavailableError extends SluiceError {
  constructor(requestId: string) {
    super(
      "InternalServerException",
      `The service is temporarily unable to reach its database; retry the request. Request id: ${requestId}`,
    );
  }
}

/**
 * Authentication failures are not AppFlow-modeled shapes: AWS answers them with the common
 * error codes every SDK knows (UnrecognizedClientException, InvalidSignatureException, ...).
 */
export type AuthErrorCode =
  | "MissingAuthenticationTokenException"
  | "IncompleteSignatureException"
  | "InvalidSignatureException"
  | "UnrecognizedClientException"
  | "SignatureDoesNotMatch";

export class AuthenticationError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** The operators a task may name for the S3 source; shared by request validation and the registry. */
// AppFlow's S3ConnectorOperator values (no CONTAINS: S3 does not offer it).
export const S3_OPERATORS = [
  "PROJECTION",
  "LESS_THAN",
  "GREATER_THAN",
  "BETWEEN",
  "LESS_THAN_OR_EQUAL_TO",
  "GREATER_THAN_OR_EQUAL_TO",
  "EQUAL_TO",
  "NOT_EQUAL_TO",
  "ADDITION",
  "MULTIPLICATION",
  "DIVISION",
  "SUBTRACTION",
  "MASK_ALL",
  "MASK_FIRST_N",
  "MASK_LAST_N",
  "VALIDATE_NON_NULL",
  "VALIDATE_NON_ZERO",
  "VALIDATE_NON_NEGATIVE",
  "VALIDATE_NUMERIC",
  "NO_OP",
] as const;

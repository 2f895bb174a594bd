import { SluiceError } from "../domain/errors.ts";

/**
 * A Validate task with VALIDATION_ACTION TerminateFlow found a bad record. The engine ends the
 * run `Error` with this message as executionMessage. It is a ValidationException so that, should it
 * ever cross the HTTP boundary, it maps to a 400 rather than an internal error.
 */
export class FlowTerminatedError extends SluiceError {
  constructor(
    readonly field: string,
    readonly operator: string,
    /** 1-based position of the record among all records this run has read. */
    readonly recordNumber: number,
  ) {
    super("ValidationException", `Validation failed on field ${field}: ${operator} (record ${recordNumber})`);
  }
}

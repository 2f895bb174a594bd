/**
 * Validate tasks: check a source field of every record that passed the filters. VALIDATION_ACTION
 * DropRecord drops a failing record; TerminateFlow (or the CDK's DropDataset) ends the run.
 * Only VALIDATE_NON_NULL rejects a missing value: the numeric checks pass null and "" so that an
 * optional column can be checked where it is present.
 */
import type { FieldValue } from "../connectors/types.ts";
import { type ValidateOperator, type ValidationAction, validationActions } from "./operators.ts";
import type { ValidationStep, ValueTest } from "./spec.ts";
import { fail, type IndexedTask, prop, sourceFieldsAtLeast } from "./task-properties.ts";
import { toNumber } from "./values.ts";

const absent = (v: FieldValue): boolean => v === null || v === undefined || v === "";

const checks: Record<ValidateOperator, ValueTest> = {
  VALIDATE_NON_NULL: (v) => !absent(v),
  VALIDATE_NON_ZERO: (v) => toNumber(v) !== 0,
  VALIDATE_NON_NEGATIVE: (v) => {
    const n = toNumber(v);
    return n === null || n >= 0;
  },
  VALIDATE_NUMERIC: (v) => absent(v) || toNumber(v) !== null,
};

export function compileValidate(at: IndexedTask, operator: ValidateOperator): ValidationStep[] {
  const action = actionOf(at);
  return sourceFieldsAtLeast(at, 1).map((field) => ({ field, operator, ok: checks[operator], action }));
}

function actionOf(at: IndexedTask): ValidationAction {
  const raw = prop(at, "VALIDATION_ACTION");
  // AppFlow leaves the default unstated; dropping the record is the milder reading.
  if (raw === undefined) return "DropRecord";
  if (!(validationActions as readonly string[]).includes(raw)) {
    fail(
      at,
      "taskProperties.VALIDATION_ACTION",
      `must be one of ${validationActions.join(", ")}; got '${raw}'`,
    );
  }
  return raw === "DropRecord" ? "DropRecord" : "TerminateFlow";
}

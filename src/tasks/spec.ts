/**
 * The task list after checking, independent of any batch's field layout. plan.ts turns it into a
 * loop over rows for one layout (one `fields` array) by resolving field names to column indexes.
 */
import type { FieldValue } from "../connectors/types.ts";
import type { ValidateOperator, ValidationAction } from "./operators.ts";
import type { Converter } from "./values.ts";

export type ValueTest = (v: FieldValue) => boolean;

/** A Filter comparison: records whose `field` value fails `test` are dropped. */
export interface FilterStep {
  field: string;
  test: ValueTest;
}

export interface ValidationStep {
  field: string;
  operator: ValidateOperator;
  ok: ValueTest;
  action: ValidationAction;
}

/** Mask / Truncate: rewrites a source field in place before any mapping reads it. */
export interface TransformStep {
  field: string;
  fn: Converter;
}

/**
 * Merge / Arithmetic: computes a new field from `inputs`. `make` receives the column index of
 * each input (in `inputs` order) and returns the per-row function.
 */
export interface DerivedStep {
  name: string;
  inputs: string[];
  make: (slots: number[]) => (row: FieldValue[]) => FieldValue;
}

/** One destination column, or (kind "all") every source field: Map, Map_all, Passthrough, Merge, Arithmetic. */
export type OutputStep =
  | { kind: "field"; destination: string; source: string; convert: Converter | null; derived: boolean }
  | { kind: "all"; exclude: ReadonlySet<string> };

export interface TaskSpec {
  /** Union of the PROJECTION tasks' fields; undefined when there is no PROJECTION. */
  projection: string[] | undefined;
  filters: FilterStep[];
  validations: ValidationStep[];
  transforms: TransformStep[];
  derived: DerivedStep[];
  /** Empty when the flow has no mapping task: then every (projected) field passes through. */
  outputs: OutputStep[];
  partitionKeys: string[] | undefined;
}

export function emptySpec(): TaskSpec {
  return {
    projection: undefined,
    filters: [],
    validations: [],
    transforms: [],
    derived: [],
    outputs: [],
    partitionKeys: undefined,
  };
}

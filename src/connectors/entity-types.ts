/** AppFlow's ConnectorEntity / ConnectorEntityField shapes, as ListConnectorEntities / DescribeConnectorEntity return them. */
export interface ConnectorEntity {
  name: string;
  label?: string;
  hasNestedEntities: boolean;
}

export interface ConnectorEntityField {
  identifier: string;
  label?: string;
  isPrimaryKey?: boolean;
  defaultValue?: string;
  supportedFieldTypeDetails: {
    v1: { fieldType: string; filterOperators: string[] };
  };
  sourceProperties?: { isRetrievable: boolean; isQueryable: boolean };
  destinationProperties?: {
    isCreatable: boolean;
    isNullable: boolean;
    isUpsertable: boolean;
    isUpdatable: boolean;
    isDefaultedOnCreate: boolean;
    supportedWriteOperations: string[];
  };
}

export type EntityFieldType = "string" | "integer" | "double" | "boolean" | "date" | "datetime";

const COMPARE = ["LESS_THAN", "GREATER_THAN", "BETWEEN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO"];
const NUMERIC = [
  "ADDITION",
  "MULTIPLICATION",
  "DIVISION",
  "SUBTRACTION",
  "VALIDATE_NON_ZERO",
  "VALIDATE_NON_NEGATIVE",
  "VALIDATE_NUMERIC",
];
const ANY = [
  "PROJECTION",
  "EQUAL_TO",
  "NOT_EQUAL_TO",
  "MASK_ALL",
  "MASK_FIRST_N",
  "MASK_LAST_N",
  "VALIDATE_NON_NULL",
  "NO_OP",
];

/** Operators of AppFlow's S3 operator set that make sense for a field of this type. */
export function operatorsFor(type: EntityFieldType): string[] {
  if (type === "integer" || type === "double") return [...ANY, ...COMPARE, ...NUMERIC];
  if (type === "date" || type === "datetime") return [...ANY, ...COMPARE];
  return ANY;
}

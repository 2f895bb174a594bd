/**
 * ListConnectorEntities / DescribeConnectorEntity from Salesforce's describe calls (REST API Developer
 * Guide: "Describe Global" GET …/sobjects, "sObject Describe" GET …/sobjects/{name}/describe). Field
 * types are Salesforce's own (string, id, reference, double, datetime, …), as AppFlow reports them, with
 * the Salesforce operators that fit the type and the field's createable / updateable / nillable flags.
 */
import { ValidationError } from "../../domain/errors.ts";
import type { ConnectorEntity, ConnectorEntityField } from "../entity-types.ts";
import type { SalesforceClient } from "./sf-http.ts";
import type { SoqlField } from "./soql.ts";

export interface DescribedField {
  name: string;
  label?: string;
  type: string;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  filterable: boolean;
  externalId?: boolean;
  idLookup?: boolean;
  defaultedOnCreate?: boolean;
  defaultValue?: unknown;
}

interface GlobalDescribe {
  sobjects: { name: string; label?: string; queryable?: boolean }[];
}

export async function listSObjects(
  client: SalesforceClient,
  signal: AbortSignal,
): Promise<ConnectorEntity[]> {
  const g = await client.json<GlobalDescribe>("GET", "/sobjects", { signal });
  return g.sobjects
    .filter((o) => o.queryable !== false)
    .map((o) => ({ name: o.name, ...(o.label ? { label: o.label } : {}), hasNestedEntities: false }));
}

export async function describeSObject(
  client: SalesforceClient,
  name: string,
  signal: AbortSignal,
): Promise<{ name: string; fields: DescribedField[] }> {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name))
    throw new ValidationError(`'${name}' is not a Salesforce object name`);
  return client.json("GET", `/sobjects/${name}/describe`, { signal });
}

export const toSoqlFields = (fields: readonly DescribedField[]): SoqlField[] =>
  fields.map((f) => ({ name: f.name, type: f.type, filterable: f.filterable }));

const NUMERIC = new Set(["double", "int", "long", "currency", "percent"]);
const TIME = new Set(["date", "datetime", "time"]);
const COMPARE = ["LESS_THAN", "GREATER_THAN", "BETWEEN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO"];
const ARITH = ["ADDITION", "MULTIPLICATION", "DIVISION", "SUBTRACTION"];
const NUM_CHECKS = ["VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC"];
const COMMON = ["MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N", "VALIDATE_NON_NULL", "NO_OP"];

/** Salesforce operators a flow may use on a field of this type (filters only when it is filterable). */
export function salesforceOperatorsFor(type: string, filterable: boolean): string[] {
  const eq = filterable ? ["EQUAL_TO", "NOT_EQUAL_TO"] : [];
  if (NUMERIC.has(type))
    return ["PROJECTION", ...(filterable ? COMPARE : []), ...eq, ...ARITH, ...COMMON, ...NUM_CHECKS];
  if (TIME.has(type)) return ["PROJECTION", ...(filterable ? COMPARE : []), ...eq, ...COMMON];
  if (type === "boolean") return ["PROJECTION", ...eq, ...COMMON];
  return ["PROJECTION", ...(filterable ? ["CONTAINS"] : []), ...eq, ...COMMON];
}

export function toEntityField(f: DescribedField): ConnectorEntityField {
  const ops: string[] = [];
  if (f.createable) ops.push("INSERT");
  if (f.createable || f.updateable || f.idLookup) ops.push("UPSERT");
  if (f.updateable || f.type === "id") ops.push("UPDATE");
  if (f.type === "id") ops.push("DELETE");
  return {
    identifier: f.name,
    ...(f.label ? { label: f.label } : {}),
    isPrimaryKey: f.type === "id",
    ...(f.defaultValue !== undefined && f.defaultValue !== null
      ? { defaultValue: String(f.defaultValue) }
      : {}),
    supportedFieldTypeDetails: {
      v1: { fieldType: f.type, filterOperators: salesforceOperatorsFor(f.type, f.filterable) },
    },
    sourceProperties: { isRetrievable: true, isQueryable: f.filterable },
    destinationProperties: {
      isCreatable: f.createable,
      isNullable: f.nillable,
      isUpsertable: f.createable || f.updateable || (f.idLookup ?? false),
      isUpdatable: f.updateable,
      isDefaultedOnCreate: f.defaultedOnCreate ?? false,
      supportedWriteOperations: ops,
    },
  };
}

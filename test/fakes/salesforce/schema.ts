/**
 * The fake org's sObjects and their describe metadata.
 *
 * Docs: REST API Developer Guide, "sObject Describe" (/services/data/vXX.X/sobjects/{name}/describe) and
 * "Describe Global" (/services/data/vXX.X/sobjects); the field properties used here (name, label, type,
 * length, nillable, createable, updateable, filterable, sortable, externalId, idLookup, unique,
 * picklistValues, referenceTo, soapType) are the DescribeFieldResult ones. Field types are the
 * REST `type` values: id, string, textarea, boolean, int, double, currency, percent, date, datetime,
 * picklist, reference, email, phone, url.
 */
export type FieldType =
  | "id"
  | "string"
  | "textarea"
  | "boolean"
  | "int"
  | "double"
  | "currency"
  | "percent"
  | "date"
  | "datetime"
  | "picklist"
  | "reference"
  | "email"
  | "phone"
  | "url";

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length?: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  filterable: boolean;
  externalId?: boolean;
  unique?: boolean;
  picklist?: string[];
  referenceTo?: string[];
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: FieldDef[];
}

const f = (name: string, type: FieldType, more: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label: name.replace(/__c$/, "").replace(/_/g, " "),
  type,
  nillable: true,
  createable: true,
  updateable: true,
  filterable: true,
  ...(type === "string" || type === "email" || type === "phone" || type === "url" ? { length: 255 } : {}),
  ...more,
});

const system = (name: string, type: FieldType): FieldDef =>
  f(name, type, { nillable: false, createable: false, updateable: false });

/** Fields every object has (read-only system fields). */
const systemFields = (): FieldDef[] => [
  system("Id", "id"),
  system("IsDeleted", "boolean"),
  system("CreatedDate", "datetime"),
  system("LastModifiedDate", "datetime"),
  system("SystemModstamp", "datetime"),
];

export const STANDARD_OBJECTS: ObjectDef[] = [
  {
    name: "Account",
    label: "Account",
    labelPlural: "Accounts",
    keyPrefix: "001",
    fields: [
      ...systemFields(),
      f("Name", "string", { nillable: false }),
      f("Industry", "picklist", { picklist: ["Agriculture", "Banking", "Energy", "Retail", "Technology"] }),
      f("AnnualRevenue", "currency"),
      f("NumberOfEmployees", "int"),
      f("Phone", "phone"),
      f("Website", "url"),
      f("Description", "textarea", { filterable: false, length: 32000 }),
      f("External_Id__c", "string", { externalId: true, unique: true, length: 80 }),
    ],
  },
  {
    name: "Contact",
    label: "Contact",
    labelPlural: "Contacts",
    keyPrefix: "003",
    fields: [
      ...systemFields(),
      f("FirstName", "string", { length: 40 }),
      f("LastName", "string", { nillable: false, length: 80 }),
      f("Email", "email"),
      f("AccountId", "reference", { referenceTo: ["Account"] }),
      f("Birthdate", "date"),
      f("HasOptedOutOfEmail", "boolean", { nillable: false }),
      f("External_Id__c", "string", { externalId: true, unique: true, length: 80 }),
    ],
  },
  {
    name: "Opportunity",
    label: "Opportunity",
    labelPlural: "Opportunities",
    keyPrefix: "006",
    fields: [
      ...systemFields(),
      f("Name", "string", { nillable: false, length: 120 }),
      f("AccountId", "reference", { referenceTo: ["Account"] }),
      f("Amount", "currency"),
      f("Probability", "percent"),
      f("CloseDate", "date", { nillable: false }),
      f("StageName", "picklist", {
        nillable: false,
        picklist: ["Prospecting", "Qualification", "Proposal", "Closed Won", "Closed Lost"],
      }),
      f("IsPrivate", "boolean", { nillable: false }),
    ],
  },
];

const SOAP_TYPES: Record<FieldType, string> = {
  id: "tns:ID",
  reference: "tns:ID",
  string: "xsd:string",
  textarea: "xsd:string",
  picklist: "xsd:string",
  email: "xsd:string",
  phone: "xsd:string",
  url: "xsd:string",
  boolean: "xsd:boolean",
  int: "xsd:int",
  double: "xsd:double",
  currency: "xsd:double",
  percent: "xsd:double",
  date: "xsd:date",
  datetime: "xsd:dateTime",
};

export function describeField(d: FieldDef): Record<string, unknown> {
  return {
    name: d.name,
    label: d.label,
    type: d.type,
    soapType: SOAP_TYPES[d.type],
    length: d.length ?? (d.type === "id" || d.type === "reference" ? 18 : 0),
    nillable: d.nillable,
    createable: d.createable,
    updateable: d.updateable,
    filterable: d.filterable,
    sortable: d.filterable,
    groupable: d.filterable && d.type !== "double" && d.type !== "currency",
    externalId: d.externalId ?? false,
    idLookup: d.type === "id" || (d.externalId ?? false),
    unique: d.unique ?? false,
    custom: d.name.endsWith("__c"),
    defaultedOnCreate: d.type === "id" || d.name === "IsDeleted" || d.type === "boolean",
    picklistValues: (d.picklist ?? []).map((v, i) => ({
      active: true,
      defaultValue: i === 0,
      label: v,
      value: v,
    })),
    referenceTo: d.referenceTo ?? [],
    relationshipName: d.type === "reference" ? d.name.replace(/Id$/, "") : null,
  };
}

export function describeObject(o: ObjectDef, base: string): Record<string, unknown> {
  return {
    ...describeGlobalEntry(o, base),
    fields: o.fields.map(describeField),
  };
}

export function describeGlobalEntry(o: ObjectDef, base: string): Record<string, unknown> {
  return {
    name: o.name,
    label: o.label,
    labelPlural: o.labelPlural,
    keyPrefix: o.keyPrefix,
    custom: false,
    queryable: true,
    retrieveable: true,
    searchable: true,
    createable: true,
    updateable: true,
    deletable: true,
    undeletable: true,
    replicateable: true,
    triggerable: true,
    urls: {
      sobject: `${base}/sobjects/${o.name}`,
      describe: `${base}/sobjects/${o.name}/describe`,
      rowTemplate: `${base}/sobjects/${o.name}/{ID}`,
    },
  };
}

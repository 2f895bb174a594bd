/** The SOQL builder: projection, the pushdown table (docs/salesforce.md) and the incremental window. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildSoql, quote, type SoqlField } from "../../src/connectors/salesforce/soql.ts";
import type { Task } from "../../src/domain/flow.ts";

const fields: SoqlField[] = [
  { name: "Id", type: "id", filterable: true },
  { name: "Name", type: "string", filterable: true },
  { name: "AnnualRevenue", type: "currency", filterable: true },
  { name: "Description", type: "textarea", filterable: false },
  { name: "IsActive__c", type: "boolean", filterable: true },
  { name: "CloseDate", type: "date", filterable: true },
  { name: "SystemModstamp", type: "datetime", filterable: true },
];
const filter = (field: string, op: string, props: Record<string, string>): Task => ({
  taskType: "Filter",
  sourceFields: [field],
  connectorOperator: { Salesforce: op },
  taskProperties: props,
});
const where = (tasks: Task[]) => buildSoql({ object: "Account", fields, tasks }).query.split(" WHERE ")[1];

describe("SOQL builder", () => {
  test("projection selects the named fields (case fixed from describe); none selects every field", () => {
    const b = buildSoql({ object: "Account", fields, projection: ["id", "Name"], tasks: [] });
    assert.equal(b.query, "SELECT Id, Name FROM Account");
    assert.equal(b.countQuery, "SELECT COUNT() FROM Account");
    assert.match(
      buildSoql({ object: "Account", fields, tasks: [] }).query,
      /^SELECT Id, Name, AnnualRevenue, Description/,
    );
    assert.throws(
      () => buildSoql({ object: "Account", fields, projection: ["Nope"], tasks: [] }),
      /has no field 'Nope'/,
    );
  });

  test("numeric, date, datetime and boolean comparisons are pushed down", () => {
    assert.equal(
      where([filter("AnnualRevenue", "GREATER_THAN", { VALUE: "1000", DATA_TYPE: "double" })]),
      "AnnualRevenue > 1000",
    );
    assert.equal(
      where([filter("AnnualRevenue", "BETWEEN", { LOWER_BOUND: "1", UPPER_BOUND: "5" })]),
      "(AnnualRevenue >= 1 AND AnnualRevenue <= 5)",
    );
    assert.equal(
      where([filter("CloseDate", "LESS_THAN", { VALUE: "2024-02-01", DATA_TYPE: "date" })]),
      "CloseDate < 2024-02-01",
    );
    assert.equal(
      where([
        filter("SystemModstamp", "GREATER_THAN_OR_EQUAL_TO", {
          VALUE: "2024-01-01T10:00:00Z",
          DATA_TYPE: "datetime",
        }),
      ]),
      "SystemModstamp >= 2024-01-01T10:00:00.000Z",
    );
    assert.equal(
      where([filter("IsActive__c", "EQUAL_TO", { VALUE: "TRUE", DATA_TYPE: "boolean" })]),
      "IsActive__c = true",
    );
    assert.equal(
      where([filter("AnnualRevenue", "NOT_EQUAL_TO", { VALUES: '["1","2"]' })]),
      "AnnualRevenue NOT IN (1, 2)",
    );
  });

  test("text: = / IN and CONTAINS → LIKE are pushed (quoted); ordered and != comparisons on text are not", () => {
    assert.equal(where([filter("Name", "EQUAL_TO", { VALUES: "a,it's" })]), "Name IN ('a', 'it\\'s')");
    assert.equal(where([filter("Name", "CONTAINS", { VALUE: "acme" })]), "Name LIKE '%acme%'");
    assert.equal(where([filter("Name", "CONTAINS", { VALUE: "50%" })]), undefined);
    assert.equal(where([filter("Name", "NOT_EQUAL_TO", { VALUE: "x" })]), undefined);
    assert.equal(where([filter("Name", "GREATER_THAN", { VALUE: "m" })]), undefined);
    assert.equal(where([filter("Description", "EQUAL_TO", { VALUE: "x" })]), undefined); // not filterable
    assert.equal(
      where([filter("AnnualRevenue", "GREATER_THAN", { VALUE: "10", DATA_TYPE: "string" })]),
      undefined,
    );
    assert.equal(quote("a\\b'\n"), "'a\\\\b\\'\\n'");
  });

  test("the incremental window is [start, end) on SystemModstamp or datetimeTypeFieldName", () => {
    const w = { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 2) };
    assert.equal(
      buildSoql({ object: "Account", fields, projection: ["Id"], tasks: [], window: w }).query,
      "SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00.000Z AND SystemModstamp < 2024-01-02T00:00:00.000Z",
    );
    assert.equal(
      buildSoql({
        object: "Account",
        fields,
        projection: ["Id"],
        tasks: [],
        window: { end: w.end },
        windowField: "systemmodstamp",
      }).query,
      "SELECT Id FROM Account WHERE SystemModstamp < 2024-01-02T00:00:00.000Z",
    );
    assert.throws(
      () => buildSoql({ object: "Account", fields, tasks: [], window: w, windowField: "CloseDate" }),
      /is a date field, not a datetime/,
    );
  });
});

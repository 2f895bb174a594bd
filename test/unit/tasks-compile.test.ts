import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValidationError } from "../../src/domain/errors.ts";
import type { Task } from "../../src/domain/flow.ts";
import { compileTasks, operatorsByTaskType } from "../../src/tasks/index.ts";
import { task } from "./tasks-helpers.ts";

const map = task("Map", ["a"], "NO_OP");

function rejects(tasks: Task[], message: RegExp) {
  assert.throws(
    () => compileTasks(tasks),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe("compileTasks rejects bad task lists", () => {
  it("bad numbers in properties", () => {
    rejects(
      [map, task("Mask", ["a"], "MASK_FIRST_N", { MASK_LENGTH: "abc" })],
      /^tasks\[1\]\.taskProperties\.MASK_LENGTH must be a non-negative whole number; got 'abc'$/,
    );
    rejects(
      [task("Mask", ["a"], "MASK_LAST_N", {})],
      /tasks\[0\]\.taskProperties\.MASK_LENGTH is required for MASK_LAST_N/,
    );
    rejects(
      [task("Mask", ["a"], "MASK_ALL", { MASK_LENGTH: "-1" })],
      /MASK_LENGTH must be a non-negative whole number/,
    );
    rejects(
      [task("Truncate", ["a"], "NO_OP", { TRUNCATE_LENGTH: "2.5" })],
      /tasks\[0\]\.taskProperties\.TRUNCATE_LENGTH/,
    );
    rejects(
      [task("Filter", ["a"], "GREATER_THAN", { DATA_TYPE: "integer", VALUE: "ten" })],
      /tasks\[0\]\.taskProperties\.VALUE must be a number value; got 'ten'/,
    );
    rejects(
      [task("Filter", ["a"], "EQUAL_TO", { DATA_TYPE: "datetime", VALUE: "soon" })],
      /VALUE must be a date\/time value/,
    );
  });

  it("operators that don't belong to the task type, or a missing one", () => {
    rejects(
      [task("Filter", ["a"], "MASK_ALL", {})],
      /^tasks\[0\]\.connectorOperator 'MASK_ALL' is not valid for a Filter task/,
    );
    rejects([task("Filter", ["a"], "NO_OP")], /'NO_OP' is not valid for a Filter task/);
    rejects(
      [map, task("Validate", ["a"], undefined, {})],
      /^tasks\[1\]\.connectorOperator is required for a Validate task/,
    );
    rejects([task("Map", ["a"], "ADDITION")], /'ADDITION' is not valid for a Map task/);
    rejects(
      [task("Filter", ["a"], "LESS_THAN", { DATA_TYPE: "boolean", VALUE: "true" })],
      /does not apply to boolean/,
    );
    rejects(
      [{ ...map, connectorOperator: { S3: "NO_OP", Salesforce: "NO_OP" } }],
      /exactly one connector type/,
    );
  });

  it("missing or malformed members", () => {
    rejects([task("Map", ["a", "b"], "NO_OP")], /^tasks\[0\]\.sourceFields must name exactly 1 field/);
    rejects([task("Filter", [], "PROJECTION")], /tasks\[0\]\.sourceFields must name at least 1 field/);
    rejects([task("Filter", ["a"], "BETWEEN", { LOWER_BOUND: "1" })], /UPPER_BOUND is required for BETWEEN/);
    rejects([task("Filter", ["a"], "EQUAL_TO", {})], /must hold VALUE or VALUES for EQUAL_TO/);
    rejects(
      [task("Merge", ["a", "b"], "NO_OP", {})],
      /tasks\[0\]\.destinationField is required for a Merge task/,
    );
    rejects(
      [task("Arithmetic", ["a", "b"], "ADDITION", { MATH_OPERATION_FIELDS_ORDER: "a,c" }, "s")],
      /names 'c', not a source field/,
    );
    rejects(
      [task("Validate", ["a"], "VALIDATE_NON_NULL", { VALIDATION_ACTION: "Ignore" })],
      /VALIDATION_ACTION must be one of DropRecord, TerminateFlow/,
    );
    rejects(
      [task("Map_all", [], "NO_OP", { EXCLUDE_SOURCE_FIELDS_LIST: "[1,2]" })],
      /EXCLUDE_SOURCE_FIELDS_LIST must be a JSON array of strings/,
    );
    rejects([task("Mask", ["a"], "MASK_ALL", { MASK_VALUE: "**" })], /MASK_VALUE must be a single character/);
    rejects(
      [task("Map", ["a"], "NO_OP", { NOT_A_KEY: "1" })],
      /tasks\[0\]\.taskProperties\.NOT_A_KEY is not a task property key/,
    );
    rejects([{ ...map, taskType: "Sort" as Task["taskType"] }], /tasks\[0\]\.taskType must be one of/);
    rejects(
      [task("Partition", ["a"], "NO_OP"), task("Partition", ["a"], "NO_OP")],
      /tasks\[1\]\.taskType Partition may appear only once/,
    );
  });

  it("accepts what the console and the CDK generate", () => {
    compileTasks([
      task("Filter", ["Name", "Amount"], "PROJECTION"),
      task("Map", ["Name"], "NO_OP", { SOURCE_DATA_TYPE: "string", DESTINATION_DATA_TYPE: "string" }, "Name"),
      task("Map_all", [], "NO_OP", { EXCLUDE_SOURCE_FIELDS_LIST: "[]" }),
      task("Mask", ["Name"], "MASK_ALL", { MASK_LENGTH: "5", MASK_VALUE: "*" }),
      task("Validate", ["Name"], "VALIDATE_NON_NULL", { VALIDATION_ACTION: "DropRecord" }),
      task("Filter", ["Amount"], "BETWEEN", { DATA_TYPE: "double", LOWER_BOUND: "1", UPPER_BOUND: "2" }),
      task("Filter", ["Name"], "EQUAL_TO", { DATA_TYPE: "string", VALUES: "a,b" }),
    ]);
  });
});

describe("operatorsByTaskType", () => {
  it("lists the operators each task type accepts", () => {
    assert.deepEqual(operatorsByTaskType.Mask, ["MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"]);
    assert.ok(operatorsByTaskType.Filter.includes("PROJECTION"));
    assert.ok(operatorsByTaskType.Filter.includes("CONTAINS"));
    assert.deepEqual(operatorsByTaskType.Map, ["NO_OP"]);
    assert.equal(operatorsByTaskType.Validate.length, 4);
  });
});

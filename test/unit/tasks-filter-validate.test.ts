import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileTasks, FlowTerminatedError } from "../../src/tasks/index.ts";
import { run, task } from "./tasks-helpers.ts";

const ids = (rows: unknown[][]) => rows.map((r) => r[0]);

describe("Filter", () => {
  const fields = ["id", "amount"];
  const rows = [
    ["a", "9"],
    ["b", "10"],
    ["c", "10.5"],
    ["d", "100"],
    ["e", null],
    ["f", "n/a"],
  ];
  const filter = (operator: string, props: Record<string, string>) =>
    ids(run([task("Filter", ["amount"], operator, props)], fields, rows).rows);

  it("compares numbers parsed from CSV strings when DATA_TYPE is numeric", () => {
    const t = { DATA_TYPE: "double" };
    assert.deepEqual(filter("LESS_THAN", { ...t, VALUE: "10" }), ["a"]);
    assert.deepEqual(filter("GREATER_THAN", { ...t, VALUE: "10" }), ["c", "d"]);
    assert.deepEqual(filter("LESS_THAN_OR_EQUAL_TO", { ...t, VALUE: "10" }), ["a", "b"]);
    assert.deepEqual(filter("GREATER_THAN_OR_EQUAL_TO", { ...t, VALUE: "10" }), ["b", "c", "d"]);
    assert.deepEqual(filter("EQUAL_TO", { ...t, VALUE: "10.0" }), ["b"]);
    assert.deepEqual(filter("BETWEEN", { ...t, LOWER_BOUND: "10", UPPER_BOUND: "100" }), ["b", "c", "d"]);
  });

  it("drops null and unreadable values for every comparison, NOT_EQUAL_TO included", () => {
    assert.deepEqual(filter("NOT_EQUAL_TO", { DATA_TYPE: "integer", VALUE: "9" }), ["b", "c", "d"]);
    const out = run(
      [task("Filter", ["amount"], "NOT_EQUAL_TO", { DATA_TYPE: "integer", VALUE: "9" })],
      fields,
      rows,
    );
    assert.equal(out.dropped, 3);
  });

  it("infers numbers without DATA_TYPE when the operand is numeric", () => {
    assert.deepEqual(filter("GREATER_THAN", { VALUE: "50" }), ["d"]);
  });

  it("compares text when DATA_TYPE is string ('9' > '10')", () => {
    assert.deepEqual(filter("GREATER_THAN", { DATA_TYPE: "string", VALUE: "10" }), ["a", "c", "d", "f"]);
  });

  it("EQUAL_TO / NOT_EQUAL_TO with VALUES mean in / not in the list", () => {
    const names = [["x"], ["y"], ["z"], [null]];
    const f = (op: string, VALUES: string) =>
      ids(run([task("Filter", ["n"], op, { DATA_TYPE: "string", VALUES })], ["n"], names).rows);
    assert.deepEqual(f("EQUAL_TO", "x,z"), ["x", "z"]);
    assert.deepEqual(f("EQUAL_TO", '["x","y"]'), ["x", "y"]);
    assert.deepEqual(f("NOT_EQUAL_TO", "x,z"), ["y"]);
  });

  it("CONTAINS matches text containing any value, case-sensitive", () => {
    const rows2 = [["Alice"], ["bob"], ["Bobby"], [42], [null]];
    const f = (props: Record<string, string>) =>
      ids(run([task("Filter", ["n"], "CONTAINS", props)], ["n"], rows2).rows);
    assert.deepEqual(f({ DATA_TYPE: "string", VALUE: "ob" }), ["bob", "Bobby"]);
    assert.deepEqual(f({ DATA_TYPE: "string", VALUE: "Bo" }), ["Bobby"]);
    assert.deepEqual(f({ VALUES: "lic,42" }), ["Alice", 42]);
  });

  it("compares datetimes as instants (ISO with offsets, epoch milliseconds)", () => {
    const times = [
      ["2024-01-01T00:00:00Z"],
      ["2024-01-01T01:30:00+02:00"],
      ["2024-01-02 00:00:00"],
      [1704067200000],
      ["junk"],
    ];
    const f = (op: string, props: Record<string, string>) =>
      run([task("Filter", ["t"], op, { DATA_TYPE: "datetime", ...props })], ["t"], times).rows.map(
        (r) => r[0],
      );
    assert.deepEqual(f("LESS_THAN", { VALUE: "2024-01-01T00:00:00Z" }), ["2024-01-01T01:30:00+02:00"]);
    assert.deepEqual(f("EQUAL_TO", { VALUE: "1704067200000" }), ["2024-01-01T00:00:00Z", 1704067200000]);
    assert.deepEqual(f("GREATER_THAN", { VALUE: "2024-01-01T12:00:00Z" }), ["2024-01-02 00:00:00"]);
  });

  it("compares dates by UTC day", () => {
    const days = [["2024-03-01T23:59:00Z"], ["2024-03-02"], ["2024-02-29"]];
    const out = run(
      [task("Filter", ["d"], "EQUAL_TO", { DATA_TYPE: "date", VALUE: "2024-03-01" })],
      ["d"],
      days,
    );
    assert.deepEqual(ids(out.rows), ["2024-03-01T23:59:00Z"]);
    const between = run(
      [
        task("Filter", ["d"], "BETWEEN", {
          DATA_TYPE: "date",
          LOWER_BOUND: "2024-02-29",
          UPPER_BOUND: "2024-03-01",
        }),
      ],
      ["d"],
      days,
    );
    assert.deepEqual(ids(between.rows), ["2024-03-01T23:59:00Z", "2024-02-29"]);
  });

  it("compares booleans from strings and JSON booleans", () => {
    const flags = [["true"], [false], ["FALSE"], [true], ["maybe"]];
    const f = (op: string) =>
      ids(run([task("Filter", ["b"], op, { DATA_TYPE: "boolean", VALUE: "true" })], ["b"], flags).rows);
    assert.deepEqual(f("EQUAL_TO"), ["true", true]);
    assert.deepEqual(f("NOT_EQUAL_TO"), [false, "FALSE"]);
  });

  it("applies several filters as AND, and counts the dropped records", () => {
    const out = run(
      [
        task("Filter", ["amount"], "GREATER_THAN", { DATA_TYPE: "double", VALUE: "9" }),
        task("Filter", ["amount"], "LESS_THAN", { DATA_TYPE: "double", VALUE: "100" }),
      ],
      fields,
      rows,
    );
    assert.deepEqual(ids(out.rows), ["b", "c"]);
    assert.equal(out.dropped, 4);
  });
});

describe("PROJECTION", () => {
  it("limits Map_all to the projected fields, in projection order, a missing one as null", () => {
    const out = run(
      [task("Filter", ["c", "a", "zz"], "PROJECTION"), task("Map_all", [], "NO_OP")],
      ["a", "b", "c"],
      [[1, 2, 3]],
    );
    assert.deepEqual(out.fields, ["c", "a", "zz"]);
    assert.deepEqual(out.rows, [[3, 1, null]]);
  });

  it("limits the default pass-through when there is no mapping task", () => {
    const out = run([task("Filter", ["b"], "PROJECTION")], ["a", "b"], [[1, 2]]);
    assert.deepEqual(out.fields, ["b"]);
    assert.deepEqual(out.rows, [[2]]);
  });

  it("reports the fields the flow reads: the projection plus fields other tasks name", () => {
    const compiled = compileTasks([
      task("Filter", ["a"], "PROJECTION"),
      task("Merge", ["a", "b"], "NO_OP", { CONCAT_FORMAT: "-" }, "ab"),
      task("Map", ["ab"], "NO_OP", {}, "x"),
      task("Validate", ["c"], "VALIDATE_NON_NULL", { VALIDATION_ACTION: "DropRecord" }),
    ]);
    assert.deepEqual([...(compiled.sourceFields ?? [])].sort(), ["a", "b", "c"]);
    assert.equal(compileTasks([task("Map_all", [], "NO_OP")]).sourceFields, undefined);
  });
});

describe("Validate", () => {
  const rows = [
    ["1", "5"],
    ["2", ""],
    ["3", "0"],
    ["4", "-1"],
    ["5", "x"],
    ["6", null],
  ];
  const keep = (operator: string) =>
    ids(
      run([task("Validate", ["v"], operator, { VALIDATION_ACTION: "DropRecord" })], ["id", "v"], rows).rows,
    );

  it("drops failing records with DropRecord", () => {
    assert.deepEqual(keep("VALIDATE_NON_NULL"), ["1", "3", "4", "5"]);
    assert.deepEqual(keep("VALIDATE_NON_ZERO"), ["1", "2", "4", "5", "6"]);
    assert.deepEqual(keep("VALIDATE_NON_NEGATIVE"), ["1", "2", "3", "5", "6"]);
    assert.deepEqual(keep("VALIDATE_NUMERIC"), ["1", "2", "3", "4", "6"]);
    const out = run([task("Validate", ["v"], "VALIDATE_NUMERIC", {})], ["id", "v"], rows);
    assert.equal(out.dropped, 1, "DropRecord is the default action");
  });

  it("TerminateFlow throws FlowTerminatedError numbering records across batches", () => {
    const compiled = compileTasks([
      task("Validate", ["v"], "VALIDATE_NON_NULL", { VALIDATION_ACTION: "TerminateFlow" }),
    ]);
    const first = compiled.apply({ fields: ["v"], rows: [["a"], ["b"], ["c"]], bytes: 1 });
    assert.equal(first.batch.rows.length, 3);
    assert.throws(
      () => compiled.apply({ fields: ["v"], rows: [["d"], [null]], bytes: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof FlowTerminatedError);
        assert.equal(e.code, "ValidationException");
        assert.equal(e.message, "Validation failed on field v: VALIDATE_NON_NULL (record 5)");
        assert.equal(e.recordNumber, 5);
        return true;
      },
    );
  });

  it("accepts the CDK's DropDataset as TerminateFlow", () => {
    const t = [task("Validate", ["v"], "VALIDATE_NON_NEGATIVE", { VALIDATION_ACTION: "DropDataset" })];
    assert.throws(() => run(t, ["v"], [["-3"]]), FlowTerminatedError);
  });

  it("runs after the filters: a filtered-out record never terminates the flow", () => {
    const out = run(
      [
        task("Filter", ["v"], "GREATER_THAN", { DATA_TYPE: "integer", VALUE: "0" }),
        task("Validate", ["v"], "VALIDATE_NON_NEGATIVE", { VALIDATION_ACTION: "TerminateFlow" }),
      ],
      ["v"],
      [["-1"], ["2"]],
    );
    assert.deepEqual(out.rows, [["2"]]);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ValidationError } from "../../src/domain/errors.ts";
import { compileTasks } from "../../src/tasks/index.ts";
import { mapValues, run, task } from "./tasks-helpers.ts";

describe("Map", () => {
  it("maps a source field to a destination field; the destination gets only mapped fields", () => {
    const out = run(
      [task("Map", ["b"], "NO_OP", {}, "B"), task("Map", ["a"], undefined, {})],
      ["a", "b", "c"],
      [[1, 2, 3]],
    );
    assert.deepEqual(out.fields, ["B", "a"]);
    assert.deepEqual(out.rows, [[2, 1]]);
    assert.equal(out.batch.bytes, 42);
  });

  it("converts strings to integers (truncating), doubles and booleans; bad values become null", () => {
    assert.deepEqual(
      mapValues(["42", " 7 ", "3.9", "-2.5", "abc", "", null, "0x10", 5.5, true], "string", "integer"),
      [42, 7, 3, -2, null, null, null, null, 5, 1],
    );
    assert.deepEqual(mapValues(["1.5", "1e3", "Infinity", "1,000", 2], "string", "double"), [
      1.5,
      1000,
      null,
      null,
      2,
    ]);
    assert.deepEqual(mapValues(["true", "FALSE", "1", "0", "yes", 0, 3], "string", "boolean"), [
      true,
      false,
      true,
      false,
      null,
      false,
      true,
    ]);
  });

  it("converts to date and datetime (UTC ISO 8601) and rejects impossible dates", () => {
    assert.deepEqual(mapValues(["2024-02-29T23:30:00-02:00", "2023-02-30", 0, "nope"], "string", "date"), [
      "2024-03-01",
      null,
      "1970-01-01",
      null,
    ]);
    assert.deepEqual(mapValues(["2024-05-01 10:20:30.5", "1700000000000"], "string", "datetime"), [
      "2024-05-01T10:20:30.500Z",
      "2023-11-14T22:13:20.000Z",
    ]);
  });

  it("converts numbers and booleans to strings; unknown types pass values unchanged", () => {
    assert.deepEqual(mapValues([12, 0.5, false, "x", null], "double", "string"), [
      "12",
      "0.5",
      "false",
      "x",
      null,
    ]);
    assert.deepEqual(mapValues([12, "x"], "string", "someConnectorType"), [12, "x"]);
    assert.deepEqual(mapValues([1700000000000], "datetime", "string"), ["2023-11-14T22:13:20.000Z"]);
  });
});

describe("Map_all", () => {
  it("maps every source field to the same name, minus EXCLUDE_SOURCE_FIELDS_LIST (JSON array)", () => {
    const out = run(
      [task("Map_all", [], "NO_OP", { EXCLUDE_SOURCE_FIELDS_LIST: '["b"]' })],
      ["a", "b", "c"],
      [[1, 2, 3]],
    );
    assert.deepEqual(out.fields, ["a", "c"]);
    assert.deepEqual(out.rows, [[1, 3]]);
  });

  it("accepts a comma list, and a later Map of the same name converts in place", () => {
    const out = run(
      [
        task("Map_all", [], "NO_OP", { EXCLUDE_SOURCE_FIELDS_LIST: "c, d" }),
        task("Map", ["a"], "NO_OP", { SOURCE_DATA_TYPE: "string", DESTINATION_DATA_TYPE: "integer" }, "a"),
      ],
      ["a", "b", "c", "d"],
      [["1", "2", "3", "4"]],
    );
    assert.deepEqual(out.fields, ["a", "b"]);
    assert.deepEqual(out.rows, [[1, "2"]]);
  });

  it("caches a plan per layout and handles batches with different fields", () => {
    const compiled = compileTasks([task("Map_all", [], "NO_OP", { EXCLUDE_SOURCE_FIELDS_LIST: "[]" })]);
    const one = compiled.apply({ fields: ["x", "y"], rows: [[1, 2]], bytes: 0 });
    const two = compiled.apply({ fields: ["y"], rows: [[3]], bytes: 0 });
    const three = compiled.apply({ fields: ["x", "y"], rows: [[5, 6]], bytes: 0 });
    assert.deepEqual(
      [one.batch.fields, two.batch.fields, three.batch.fields],
      [["x", "y"], ["y"], ["x", "y"]],
    );
    assert.deepEqual(three.batch.rows, [[5, 6]]);
  });
});

describe("Merge, Arithmetic, Passthrough", () => {
  it("Merge fills $-brace field placeholders; null becomes an empty string", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: AppFlow's CONCAT_FORMAT syntax, not a JS template
    const format = "${last}, ${first}!";
    const out = run(
      [task("Merge", ["first", "last"], "NO_OP", { CONCAT_FORMAT: format }, "name")],
      ["first", "last"],
      [
        ["Ada", "Lovelace"],
        [null, "Curie"],
      ],
    );
    assert.deepEqual(out.fields, ["name"]);
    assert.deepEqual(out.rows, [["Lovelace, Ada!"], ["Curie, !"]]);
  });

  it("Merge without placeholders puts CONCAT_FORMAT between the fields", () => {
    const out = run(
      [task("Merge", ["a", "b", "c"], "NO_OP", { CONCAT_FORMAT: "-" }, "abc")],
      ["a", "b", "c"],
      [[1, "x", true]],
    );
    assert.deepEqual(out.rows, [["1-x-true"]]);
  });

  it("Arithmetic folds the fields in MATH_OPERATION_FIELDS_ORDER; bad operands and x/0 give null", () => {
    const rows = [
      ["10", "4"],
      ["1", "0"],
      ["x", "2"],
      [null, "2"],
    ];
    const calc = (op: string, order = "a,b") =>
      run(
        [task("Arithmetic", ["a", "b"], op, { MATH_OPERATION_FIELDS_ORDER: order }, "r")],
        ["a", "b"],
        rows,
      ).rows.map((r) => r[0]);
    assert.deepEqual(calc("ADDITION"), [14, 1, null, null]);
    assert.deepEqual(calc("SUBTRACTION"), [6, 1, null, null]);
    assert.deepEqual(calc("SUBTRACTION", "b,a"), [-6, -1, null, null]);
    assert.deepEqual(calc("MULTIPLICATION"), [40, 0, null, null]);
    assert.deepEqual(calc("DIVISION"), [2.5, null, null, null]);
  });

  it("a result another task reads is intermediate: the CDK's Arithmetic + Map pattern", () => {
    const out = run(
      [
        task(
          "Arithmetic",
          ["price", "qty"],
          "MULTIPLICATION",
          { MATH_OPERATION_FIELDS_ORDER: "price,qty" },
          "price,qty",
        ),
        task(
          "Map",
          ["price,qty"],
          "NO_OP",
          { SOURCE_DATA_TYPE: "string", DESTINATION_DATA_TYPE: "string" },
          "total",
        ),
        task("Map", ["qty"], "NO_OP", {}, "qty"),
      ],
      ["price", "qty"],
      [["2.5", "4"]],
    );
    assert.deepEqual(out.fields, ["total", "qty"]);
    assert.deepEqual(out.rows, [["10", "4"]]);
  });

  it("Passthrough copies fields unchanged, renaming a single one", () => {
    assert.deepEqual(run([task("Passthrough", ["a"], undefined, {}, "z")], ["a", "b"], [[1, 2]]).fields, [
      "z",
    ]);
    assert.deepEqual(run([task("Passthrough", ["b", "a"], "NO_OP")], ["a", "b"], [[1, 2]]).rows, [[2, 1]]);
  });
});

describe("Mask and Truncate", () => {
  const mask = (op: string, props: Record<string, string>, values: unknown[]) =>
    run(
      [task("Mask", ["v"], op, props), task("Map", ["v"], "NO_OP")],
      ["v"],
      values.map((v) => [v as string]),
    ).rows.map((r) => r[0]);

  it("masks all, the first N or the last N characters with MASK_VALUE", () => {
    assert.deepEqual(mask("MASK_ALL", { MASK_VALUE: "#", MASK_LENGTH: "5" }, ["secret", "", null]), [
      "######",
      "",
      null,
    ]);
    assert.deepEqual(mask("MASK_FIRST_N", { MASK_LENGTH: "3" }, ["4111222233334444", "ab", 12345]), [
      "***1222233334444",
      "**",
      "***45",
    ]);
    assert.deepEqual(
      mask("MASK_LAST_N", { MASK_LENGTH: "4", MASK_VALUE: "X" }, ["4111222233334444", "abc"]),
      ["411122223333XXXX", "XXX"],
    );
  });

  it("counts characters, not UTF-16 units", () => {
    assert.deepEqual(mask("MASK_LAST_N", { MASK_LENGTH: "1" }, ["a😀b😀"]), ["a😀b*"]);
    assert.deepEqual(mask("MASK_ALL", {}, ["😀😀"]), ["**"]);
  });

  it("MASK_FIRST_N keeps the length and the unmasked rest (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(20), (s, n) => {
        const [out] = mask("MASK_FIRST_N", { MASK_LENGTH: String(n) }, [s]) as [string];
        const chars = [...s];
        assert.equal([...out].length, chars.length);
        assert.equal([...out].slice(n).join(""), chars.slice(n).join(""));
      }),
    );
  });

  it("Truncate shortens strings and leaves other values alone", () => {
    const out = run(
      [task("Truncate", ["v"], "NO_OP", { TRUNCATE_LENGTH: "3" }), task("Map_all", [], "NO_OP")],
      ["v"],
      [["abcdef"], ["ab"], [123456], ["😀😀😀😀"]],
    );
    assert.deepEqual(
      out.rows.map((r) => r[0]),
      ["abc", "ab", 123456, "😀😀😀"],
    );
  });

  it("Mask applies to the source field before mapping; filters see the raw value", () => {
    const out = run(
      [
        task("Map", ["card"], "NO_OP", {}, "card_masked"),
        task("Filter", ["card"], "EQUAL_TO", { DATA_TYPE: "string", VALUE: "1234" }),
        task("Mask", ["card"], "MASK_ALL", { MASK_VALUE: "*" }),
      ],
      ["card"],
      [["1234"], ["9999"]],
    );
    assert.deepEqual(out.rows, [["****"]]);
  });
});

describe("Partition and defaults", () => {
  it("sets batch.partitionKeys from ORDERED_PARTITION_KEYS_LIST", () => {
    const out = run(
      [
        task("Map_all", [], "NO_OP"),
        task("Partition", [], "NO_OP", { ORDERED_PARTITION_KEYS_LIST: '["year","region"]' }),
      ],
      ["region", "year"],
      [["eu", "2024"]],
    );
    assert.deepEqual(out.batch.partitionKeys, ["year", "region"]);
    assert.equal(run([task("Map_all", [], "NO_OP")], ["a"], [[1]]).batch.partitionKeys, undefined);
  });

  it("rejects a partition key that is not a destination field", () => {
    assert.throws(
      () => run([task("Map", ["a"], "NO_OP"), task("Partition", ["b"], "NO_OP")], ["a", "b"], [[1, 2]]),
      (e: unknown) => e instanceof ValidationError && /Partition key b/.test(e.message),
    );
  });

  it("with no mapping task, passes every field through unchanged (the same row arrays)", () => {
    const rows = [[1, "a"]];
    const out = compileTasks([]).apply({ fields: ["n", "s"], rows, bytes: 3 });
    assert.deepEqual(out.batch.fields, ["n", "s"]);
    assert.equal(out.batch.rows[0], rows[0]);
    assert.equal(out.dropped, 0);
  });

  it("reads a field the batch lacks as null, and ragged rows' missing cells as null", () => {
    const out = run(
      [task("Map", ["a"], "NO_OP"), task("Map", ["missing"], "NO_OP", {}, "m")],
      ["a", "b"],
      [[1, 2], []],
    );
    assert.deepEqual(out.rows, [
      [1, null],
      [null, null],
    ]);
  });
});

describe("generated row loop", () => {
  it("never splices field names into code: hostile names are just names", () => {
    const evil = 'x"]; throw new Error("pwned"); //';
    const out = run(
      [
        task("Filter", [evil], "EQUAL_TO", { DATA_TYPE: "string", VALUE: "keep" }),
        task("Map", [evil], "NO_OP", { DESTINATION_DATA_TYPE: "string" }, "`back`ticks"),
      ],
      [evil, "other"],
      [
        ["keep", 1],
        ["drop", 2],
      ],
    );
    assert.deepEqual(out.fields, ["`back`ticks"]);
    assert.deepEqual(out.rows, [["keep"]]);
  });

  it("handles wide layouts and many batches with one compiled object", () => {
    const fields = Array.from({ length: 300 }, (_, i) => `f${i}`);
    const compiled = compileTasks([
      task("Map_all", [], "NO_OP", { EXCLUDE_SOURCE_FIELDS_LIST: JSON.stringify(fields.slice(1)) }),
    ]);
    let total = 0;
    for (let b = 0; b < 20; b++) {
      const rows = Array.from({ length: 50 }, (_, r) => fields.map((_, c) => b * 1000 + r * 300 + c));
      const out = compiled.apply({ fields: [...fields], rows, bytes: 0 });
      assert.deepEqual(out.batch.fields, ["f0"]);
      total += out.batch.rows.length;
      assert.equal(out.batch.rows[49]?.[0], b * 1000 + 49 * 300);
    }
    assert.equal(total, 1000);
  });
});

/** restJson1 output: null members are left out, whether or not the fast path (no "null" anywhere) applies. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { toWireJson } from "../../src/api/protocol/serialize.ts";

test("null members are dropped at any depth; everything else is kept as is", () => {
  const page = {
    flows: [{ flowName: "a", description: null, tags: { k: "v", gone: null }, lastRun: undefined }],
    nextToken: null,
  };
  assert.equal(toWireJson(page), '{"flows":[{"flowName":"a","tags":{"k":"v"}}]}');
});

test("a string containing the word null is kept, and so is a page without any null", () => {
  assert.equal(toWireJson({ message: "nullable", n: 0, b: false }), '{"message":"nullable","n":0,"b":false}');
  const records = {
    flowExecutions: Array.from({ length: 3 }, (_, i) => ({ executionId: `e${i}`, at: i / 1000 })),
  };
  assert.deepEqual(JSON.parse(toWireJson(records)), records);
});

/** The response cache: an answer is served again only at the data version it was read at. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ResponseCache } from "../../src/api/protocol/response-cache.ts";

const answer = (s: string) => Buffer.from(s);

test("an answer is served until the next write, and one read across a write is not kept", () => {
  let version = 1;
  const cache = new ResponseCache(() => version, 1024);
  const key = cache.keyOf("ListFlows", "000000000000", { maxResults: 100 });
  assert.ok(key);
  assert.equal(cache.get(key), undefined);
  cache.set(key, cache.now(), answer("a"));
  assert.equal(cache.get(key)?.toString(), "a");
  version++;
  assert.equal(cache.get(key), undefined, "a write makes every answer stale");
  const readAt = cache.now();
  version++; // written while the handler was reading
  cache.set(key, readAt, answer("b"));
  assert.equal(cache.get(key), undefined, "an answer read across a write is not kept");
});

test("keys are per account and input; other operations, no version, or no memory: no key", () => {
  const cache = new ResponseCache(() => 1, 1024);
  const a = cache.keyOf("DescribeFlowExecutionRecords", "111111111111", { flowName: "f" });
  assert.notEqual(a, cache.keyOf("DescribeFlowExecutionRecords", "222222222222", { flowName: "f" }));
  assert.notEqual(a, cache.keyOf("DescribeFlowExecutionRecords", "111111111111", { flowName: "g" }));
  assert.equal(cache.keyOf("DescribeFlow", "111111111111", { flowName: "f" }), undefined);
  assert.equal(new ResponseCache(undefined, 1024).keyOf("ListFlows", "1", {}), undefined, "PostgreSQL");
  assert.equal(new ResponseCache(() => 1, 0).keyOf("ListFlows", "1", {}), undefined, "SLUICE_API_CACHE_MB=0");
});

test("the answers stay within the memory bound, the oldest going first", () => {
  const cache = new ResponseCache(() => 1, 100);
  const keys = ["a", "b", "c"].map((f) => cache.keyOf("ListFlows", "1", { f }) ?? "");
  for (const k of keys) cache.set(k, 1, answer("x".repeat(12)));
  cache.set(keys[0]!, 1, answer("y".repeat(12))); // rewritten: now the newest
  assert.equal(cache.get(keys[1]!)?.length, 12);
  const big = cache.keyOf("ListFlows", "1", { big: true }) ?? "";
  cache.set(big, 1, answer("z".repeat(13)));
  assert.equal(cache.get(big), undefined, "an answer over an eighth of the bound isn't kept");
  for (let i = 0; i < 10; i++)
    cache.set(cache.keyOf("ListFlows", "1", { i }) ?? "", 1, answer("w".repeat(12)));
  const kept = [...keys, ...Array.from({ length: 10 }, (_, i) => cache.keyOf("ListFlows", "1", { i }) ?? "")]
    .map((k) => cache.get(k))
    .filter((v) => v !== undefined);
  assert.ok(kept.length * 12 <= 100, `${kept.length} answers of 12 bytes kept under 100`);
  assert.equal(cache.get(keys[1]!), undefined, "the oldest went first");
});

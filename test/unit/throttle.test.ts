import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_THROTTLE_CONFIG, Throttle } from "../../src/api/protocol/throttle.ts";
import { ThrottlingError } from "../../src/domain/errors.ts";

/** A manual clock: tests move time explicitly, never sleep. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

function takeMany(throttle: Throttle, account: string, op: string, n: number): number {
  let granted = 0;
  for (let i = 0; i < n; i++) if (throttle.take(account, op)) granted++;
  return granted;
}

test("default limits: reads 50/s burst 100, writes 20/s burst 40", () => {
  const c = clock();
  const throttle = new Throttle({}, c.now);
  assert.deepEqual(throttle.limitFor("DescribeFlow"), { rate: 50, burst: 100 });
  assert.deepEqual(throttle.limitFor("ListFlows"), { rate: 50, burst: 100 });
  assert.deepEqual(throttle.limitFor("StartFlow"), { rate: 20, burst: 40 });
  assert.equal(takeMany(throttle, "a", "DescribeFlow", 150), 100);
  assert.equal(takeMany(throttle, "a", "CreateFlow", 50), 40);
  assert.deepEqual(DEFAULT_THROTTLE_CONFIG.overrides, {});
});

test("tokens refill at the configured rate, never past the burst", () => {
  const c = clock();
  const throttle = new Throttle({ writeRate: { rate: 10, burst: 5 } }, c.now);
  assert.equal(takeMany(throttle, "a", "StartFlow", 10), 5);
  c.advance(99); // 0.99 token
  assert.equal(throttle.take("a", "StartFlow"), false);
  c.advance(1); // 1 token
  assert.equal(throttle.take("a", "StartFlow"), true);
  assert.equal(throttle.take("a", "StartFlow"), false);
  c.advance(350); // 3.5 tokens
  assert.equal(takeMany(throttle, "a", "StartFlow", 10), 3);
  c.advance(60_000); // long idle: capped at burst
  assert.equal(takeMany(throttle, "a", "StartFlow", 10), 5);
});

test("buckets are per account and per operation; overrides win", () => {
  const c = clock();
  const throttle = new Throttle(
    {
      readRate: { rate: 1, burst: 2 },
      writeRate: { rate: 1, burst: 2 },
      overrides: { StartFlow: { rate: 1, burst: 1 } },
    },
    c.now,
  );
  assert.equal(takeMany(throttle, "111111111111", "StartFlow", 5), 1);
  assert.equal(takeMany(throttle, "222222222222", "StartFlow", 5), 1);
  assert.equal(takeMany(throttle, "111111111111", "CreateFlow", 5), 2);
  assert.equal(takeMany(throttle, "111111111111", "ListFlows", 5), 2);
});

test("check() throws ThrottlingError when over the rate", () => {
  const c = clock();
  const throttle = new Throttle({ writeRate: { rate: 1, burst: 1 } }, c.now);
  throttle.check("a", "DeleteFlow");
  assert.throws(
    () => throttle.check("a", "DeleteFlow"),
    (err: unknown) => err instanceof ThrottlingError && err.code === "ThrottlingException",
  );
});

test("a clock stepping backwards neither grants nor removes tokens", () => {
  const c = clock(10_000);
  const throttle = new Throttle({ writeRate: { rate: 1, burst: 2 } }, c.now);
  assert.equal(takeMany(throttle, "a", "StartFlow", 2), 2);
  c.set(0);
  assert.equal(throttle.take("a", "StartFlow"), false);
  c.set(10_999);
  assert.equal(throttle.take("a", "StartFlow"), false);
  c.set(11_000);
  assert.equal(throttle.take("a", "StartFlow"), true);
});

test("memory stays bounded: idle buckets are evicted first, then least recently used", () => {
  const c = clock();
  const throttle = new Throttle({ readRate: { rate: 10, burst: 10 }, maxBuckets: 100 }, c.now);
  // An active client that has spent its burst.
  assert.equal(takeMany(throttle, "busy", "ListFlows", 20), 10);
  for (let i = 0; i < 1000; i++) {
    throttle.take(`acct-${i}`, "ListFlows");
    assert.ok(throttle.size <= 100, `size ${throttle.size} after ${i}`);
    if (i % 50 === 0) throttle.take("busy", "ListFlows"); // keeps "busy" recently used
  }
  // "busy" was never idle and stayed recent, so it still has no tokens: eviction did not hand it a fresh burst.
  assert.equal(throttle.take("busy", "ListFlows"), false);
  c.advance(10_000);
  // After everything has refilled, a new key sweeps all idle buckets away.
  for (let i = 0; i < 100; i++) throttle.take(`late-${i}`, "ListFlows");
  assert.ok(throttle.size <= 100);
});

test("rejects nonsensical limits", () => {
  assert.throws(() => new Throttle({ readRate: { rate: 0, burst: 1 } }), /Invalid throttle limit for reads/);
  assert.throws(() => new Throttle({ overrides: { StartFlow: { rate: 1, burst: 0 } } }), /StartFlow/);
  assert.throws(() => new Throttle({ maxBuckets: 0 }), /maxBuckets/);
});

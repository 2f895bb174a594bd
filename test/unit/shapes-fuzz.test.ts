/** Whatever arrives, parseInput answers with a value or a ValidationError, never anything else. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type OperationName, operationNames } from "../../src/api/protocol/operations.ts";
import { parseInput } from "../../src/api/shapes/index.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import { s3ToS3Flow, validInput } from "./shapes-fixtures.ts";

type Path = (string | number)[];

/** Parses, and on success checks that the output is itself a valid input that parses to itself. */
function parseOrValidationError(op: OperationName, body: unknown): void {
  let out: unknown;
  try {
    out = parseInput(op, body);
  } catch (e) {
    assert.ok(e instanceof ValidationError, `${op} threw ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(e.message.length > 0);
    return;
  }
  assert.deepEqual(parseInput(op, out), out);
}

/** Every member path of a JSON value, containers included. */
function pathsOf(v: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...pathsOf(x, [...prefix, i]));
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  }
  return out;
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown, remove: boolean): void {
  let o: Record<string | number, unknown> = root;
  for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove && !Array.isArray(o)) delete o[last];
  else o[last] = value;
}

const flowPaths = pathsOf(s3ToS3Flow()).filter((p) => p.length > 0);

// Values that sit near the model's rules: boundary lengths, odd characters, wrong types.
const nearRules = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    "",
    "a",
    "ab",
    "aws:x",
    "__proto__",
    "S3",
    "Redshift",
    "Salesforce",
    "2024-01-01T00:00:00Z",
  ),
  fc.integer({ min: -10, max: 40000 }),
  fc.double(),
  fc.constantFrom("x".repeat(63), "x".repeat(64), "x".repeat(256), "x".repeat(257), "x".repeat(2049)),
);

describe("shapes fuzz", () => {
  it("random JSON values, for every operation", () => {
    fc.assert(
      fc.property(fc.constantFrom(...operationNames), fc.jsonValue(), (op, body) =>
        parseOrValidationError(op, body),
      ),
      { numRuns: 2000 },
    );
  });
  it("random JavaScript values (odd prototypes, symbols, sparse arrays)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...operationNames),
        fc.anything({ withNullPrototype: true, withSparseArray: true }),
        (op, body) => parseOrValidationError(op, body),
      ),
      { numRuns: 1000 },
    );
  });
  it("a valid request with random members added", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...operationNames),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (op, extra) => parseOrValidationError(op, { ...extra, ...validInput(op) }),
      ),
      { numRuns: 500 },
    );
  });
  it("mutations of a valid CreateFlow request", () => {
    const mutation = fc.record({
      path: fc.constantFrom(...flowPaths),
      value: nearRules,
      remove: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        const body = s3ToS3Flow();
        for (const m of muts) {
          try {
            setAt(body, m.path, m.value, m.remove);
          } catch {
            // an earlier mutation removed or replaced this path's parent: skip it
          }
        }
        parseOrValidationError("CreateFlow", body);
      }),
      { numRuns: 3000 },
    );
  });
});

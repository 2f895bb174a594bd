import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  accessDeniedMessage,
  authorize,
  isAllowed,
  type Policy,
  policySchema,
  wildcardMatch,
} from "../../src/api/protocol/policy.ts";
import { AccessDeniedError } from "../../src/domain/errors.ts";

const flowArn = "arn:aws:appflow:us-east-1:000000000000:flow/nightly-sales";

test("wildcardMatch: * spans any run (including : and /), ? exactly one character", () => {
  assert.ok(wildcardMatch("*", ""));
  assert.ok(wildcardMatch("*", flowArn));
  assert.ok(wildcardMatch("arn:aws:appflow:*:000000000000:flow/*", flowArn));
  assert.ok(wildcardMatch("arn:*/nightly-*", flowArn));
  assert.ok(wildcardMatch("arn:aws:appflow:us-east-?:000000000000:flow/nightly-sales", flowArn));
  assert.ok(!wildcardMatch("arn:aws:appflow:us-east-??:000000000000:flow/nightly-sales", flowArn));
  assert.ok(!wildcardMatch("arn:aws:appflow:*:111111111111:flow/*", flowArn));
  assert.ok(
    !wildcardMatch("arn:aws:appflow:*:000000000000:flow/nightly", flowArn),
    "no implicit suffix match",
  );
  assert.ok(!wildcardMatch("?", ""));
  assert.ok(wildcardMatch("a*b*c", "aXXbYYc"));
  assert.ok(!wildcardMatch("a*b*c", "aXXbYY"));
  assert.ok(!wildcardMatch("ARN:*", flowArn), "resources are case-sensitive");
  assert.ok(wildcardMatch("ARN:*", flowArn, true));
});

test("wildcardMatch agrees with an equivalent regular expression", () => {
  const toRegex = (p: string) =>
    new RegExp(
      `^${[...p].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`,
      "s",
    );
  const alphabet = fc.constantFrom("a", "b", ":", "/", "*", "?");
  fc.assert(
    fc.property(
      fc.string({ unit: alphabet, maxLength: 8 }),
      fc.string({ unit: fc.constantFrom("a", "b", ":", "/"), maxLength: 10 }),
      (p, v) => {
        assert.equal(wildcardMatch(p, v), toRegex(p).test(v), `pattern ${p} value ${v}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test("wildcardMatch stays fast on patterns that make backtracking regexes explode", () => {
  const started = performance.now();
  assert.ok(!wildcardMatch(`${"*a".repeat(50)}b`, "a".repeat(5000)));
  assert.ok(performance.now() - started < 1000);
});

test("isAllowed: no policy allows everything; empty allow-list allows nothing", () => {
  assert.ok(isAllowed(undefined, "appflow:DeleteFlow", flowArn));
  assert.ok(!isAllowed({ allow: [] }, "appflow:DescribeFlow", flowArn));
});

test("isAllowed: action patterns are case-insensitive and may omit the appflow: prefix", () => {
  const readOnly: Policy = { allow: [{ actions: ["appflow:Describe*", "appflow:List*"], resources: ["*"] }] };
  assert.ok(isAllowed(readOnly, "appflow:DescribeFlow", flowArn));
  assert.ok(isAllowed(readOnly, "DescribeFlowExecutionRecords", flowArn));
  assert.ok(isAllowed(readOnly, "appflow:listflows", "*"));
  assert.ok(!isAllowed(readOnly, "appflow:CancelFlowExecutions", flowArn));
  assert.ok(!isAllowed(readOnly, "appflow:StartFlow", flowArn));

  const exact: Policy = { allow: [{ actions: ["APPFLOW:cancelflowexecutions"], resources: ["*"] }] };
  assert.ok(isAllowed(exact, "appflow:CancelFlowExecutions", flowArn));
  assert.ok(!isAllowed(exact, "appflow:CancelFlowExecution", flowArn));

  const bare: Policy = { allow: [{ actions: ["StartFlow"], resources: ["*"] }] };
  assert.ok(isAllowed(bare, "appflow:StartFlow", flowArn));
  assert.ok(!isAllowed(bare, "s3:StartFlow", flowArn), "another service's action is not appflow's");
  assert.ok(isAllowed({ allow: [{ actions: ["*"], resources: ["*"] }] }, "s3:GetObject", "*"));
});

test("isAllowed: a statement must match both action and resource", () => {
  const policy: Policy = {
    allow: [
      {
        actions: ["appflow:StartFlow", "appflow:CancelFlowExecutions"],
        resources: ["arn:aws:appflow:*:000000000000:flow/nightly-*"],
      },
      { actions: ["appflow:List*"], resources: ["*"] },
    ],
  };
  assert.ok(isAllowed(policy, "appflow:StartFlow", flowArn));
  assert.ok(!isAllowed(policy, "appflow:StartFlow", "arn:aws:appflow:us-east-1:000000000000:flow/hourly"));
  // "*" as a resource pattern covers any ARN.
  assert.ok(isAllowed(policy, "appflow:ListFlows", flowArn.replace("flow/", "connectorprofile/")));
  // An account-wide operation is checked against "*", which an ARN pattern does not cover (as in IAM).
  assert.ok(!isAllowed(policy, "appflow:StartFlow", "*"));
  assert.ok(isAllowed(policy, "appflow:ListFlows", "*"));
});

test("accessDeniedMessage and authorize use the AWS wording", () => {
  const principal = "arn:aws:iam::000000000000:user/dev";
  assert.equal(
    accessDeniedMessage(principal, "CancelFlowExecutions", flowArn),
    `User: ${principal} is not authorized to perform: appflow:CancelFlowExecutions on resource: ${flowArn}`,
  );
  const policy: Policy = { allow: [{ actions: ["appflow:Describe*"], resources: ["*"] }] };
  assert.doesNotThrow(() => authorize({ principalArn: principal, policy }, "appflow:DescribeFlow", flowArn));
  assert.throws(
    () => authorize({ principalArn: principal, policy }, "appflow:DeleteFlow", flowArn),
    (err: unknown) =>
      err instanceof AccessDeniedError &&
      err.code === "AccessDeniedException" &&
      err.message === accessDeniedMessage(principal, "appflow:DeleteFlow", flowArn),
  );
});

test("policySchema rejects unknown fields and empty pattern lists", () => {
  assert.ok(policySchema.safeParse({ allow: [{ actions: ["*"], resources: ["*"] }] }).success);
  assert.ok(!policySchema.safeParse({ allow: [{ actions: [], resources: ["*"] }] }).success);
  assert.ok(!policySchema.safeParse({ allow: [{ action: ["*"], resources: ["*"] }] }).success);
  assert.ok(!policySchema.safeParse({ deny: [] }).success);
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { operationNames } from "../../src/api/protocol/operations.ts";
import { parseInput } from "../../src/api/shapes/index.ts";
import { ARN, at, flow, type Json, redshiftDestination, rejects, validInput } from "./shapes-fixtures.ts";

describe("shapes: valid requests", () => {
  for (const op of operationNames) {
    it(`${op}: a full valid request parses to itself`, () => {
      assert.deepEqual(parseInput(op, validInput(op)), validInput(op));
    });
  }
  it("a Redshift destination is accepted", () => {
    const f = flow((f) => {
      f.destinationFlowConfigList = [redshiftDestination()];
    });
    assert.deepEqual(parseInput("CreateFlow", f).destinationFlowConfigList, [redshiftDestination()]);
  });
});

describe("shapes: rules and messages", () => {
  it("a body that is not an object is refused", () => {
    for (const body of [null, [], "x", 3, true, undefined]) {
      rejects("ListFlows", body, "request body must be a JSON object");
    }
  });
  it("required members", () => {
    rejects(
      "CreateFlow",
      flow((f) => delete f.flowName),
      "flowName: is required",
    );
    rejects("StartFlow", {}, "flowName: is required");
    rejects(
      "CreateFlow",
      flow(
        (f) =>
          delete at(f, "destinationFlowConfigList", 0, "destinationConnectorProperties", "S3").bucketName,
      ),
      "destinationFlowConfigList[0].destinationConnectorProperties.S3.bucketName: is required",
    );
  });
  it("types", () => {
    const f = flow((f) => {
      (f.tasks as Json[]).push(
        { sourceFields: [] as string[], taskType: "Map" },
        { sourceFields: [], taskType: 7 },
      );
    });
    rejects("CreateFlow", f, "tasks[3].taskType: must be a string");
    rejects("DeleteFlow", { flowName: "ab", forceDelete: "true" }, "forceDelete: must be a boolean");
    rejects("ListFlows", { maxResults: "10" }, "maxResults: must be an integer");
    rejects("ListFlows", { maxResults: 1.5 }, "maxResults: must be an integer");
    rejects("CancelFlowExecutions", { flowName: "ab", executionIds: "e-1" }, "executionIds: must be a list");
    rejects(
      "CreateFlow",
      flow((f) => (f.triggerConfig = "OnDemand")),
      "triggerConfig: must be an object",
    );
    rejects("TagResource", { resourceArn: ARN, tags: ["a"] }, "tags: must be a map (a JSON object)");
    rejects("TagResource", { resourceArn: ARN }, "tags: is required");
  });
  it("string lengths", () => {
    const bucket = (name: string) =>
      flow((f) => {
        at(f, "destinationFlowConfigList", 0, "destinationConnectorProperties", "S3").bucketName = name;
      });
    rejects(
      "CreateFlow",
      bucket("ab"),
      "destinationFlowConfigList[0].destinationConnectorProperties.S3.bucketName: must be at least 3 characters",
    );
    parseInput("CreateFlow", bucket("a".repeat(63)));
    rejects("CreateFlow", bucket("a".repeat(64)), /bucketName: must be at most 63 characters$/);
    parseInput("DescribeFlow", { flowName: "a".repeat(256) });
    rejects("DescribeFlow", { flowName: "a".repeat(257) }, "flowName: must be at most 256 characters");
  });
  it("patterns match the whole value", () => {
    rejects("DescribeFlow", { flowName: "-flow" }, "flowName: must match pattern [a-zA-Z0-9][\\w!@#.-]+");
    // A partial match is not enough: "ab" matches at the start of "ab cd".
    rejects("DescribeFlow", { flowName: "ab cd" }, /^flowName: must match pattern/);
    rejects("ListTagsForResource", { resourceArn: `x${ARN}` }, /^resourceArn: must match pattern arn:aws:/);
    rejects(
      "CreateFlow",
      flow((f) => (f.description = "semi;colon")),
      /^description: must match pattern/,
    );
    parseInput(
      "CreateFlow",
      flow((f) => (f.description = "Copies orders, nightly! ok? #1 @team.")),
    );
  });
  it("enums", () => {
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "triggerConfig").triggerType = "Hourly")),
      "triggerConfig.triggerType: must be one of Scheduled, Event, OnDemand",
    );
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "sourceFlowConfig").connectorType = "Ftp")),
      /^sourceFlowConfig\.connectorType: must be one of Salesforce, .*S3, /,
    );
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "tasks", 0).taskType = "map")),
      /^tasks\[0\]\.taskType: must be one of Arithmetic, /,
    );
  });
  it("list sizes", () => {
    const ids = (n: number) => ({
      flowName: "orders",
      executionIds: Array.from({ length: n }, (_, i) => `e${i}`),
    });
    assert.equal(parseInput("CancelFlowExecutions", ids(100)).executionIds?.length, 100);
    rejects("CancelFlowExecutions", ids(101), "executionIds: must have at most 100 items");
    // [] cancels nothing, absent cancels all: the two must stay distinct.
    assert.deepEqual(parseInput("CancelFlowExecutions", ids(0)).executionIds, []);
    assert.equal(parseInput("CancelFlowExecutions", { flowName: "orders" }).executionIds, undefined);
    rejects(
      "CancelFlowExecutions",
      { flowName: "orders", executionIds: ["a b"] },
      /^executionIds\[0\]: must match/,
    );
  });
  it("integer and long ranges", () => {
    rejects("ListFlows", { maxResults: 0 }, "maxResults: must be at least 1");
    rejects("ListFlows", { maxResults: 101 }, "maxResults: must be at most 100");
    parseInput("ListConnectorEntities", { maxResults: 10000 });
    rejects("ListConnectorEntities", { maxResults: 10001 }, "maxResults: must be at most 10000");
    const offset = (n: number) =>
      flow((f) => (at(f, "triggerConfig", "triggerProperties", "Scheduled").scheduleOffset = n));
    parseInput("CreateFlow", offset(36000));
    rejects("CreateFlow", offset(-1), /scheduleOffset: must be at least 0$/);
    rejects("CreateFlow", offset(36001), /scheduleOffset: must be at most 36000$/);
  });
  it("maps: size, key and value rules, reserved aws: prefix", () => {
    const tags = (t: Json) => ({ resourceArn: ARN, tags: t });
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    parseInput("TagResource", tags(many(50)));
    rejects("TagResource", tags(many(51)), "tags: must have at most 50 entries");
    rejects(
      "TagResource",
      tags({ "aws:owner": "x" }),
      'tags: key "aws:owner" must not start with aws: (reserved for AWS use)',
    );
    rejects("TagResource", tags({ "bad key!": "x" }), /^tags: key "bad key!" must match pattern/);
    rejects("TagResource", tags({ k: "v".repeat(257) }), "tags.k: must be at most 256 characters");
    rejects("TagResource", tags({ k: 1 }), "tags.k: must be a string");
    rejects(
      "UntagResource",
      { resourceArn: ARN, tagKeys: ["aws:x"] },
      /^tagKeys\[0\]: must not start with aws:/,
    );
    rejects("UntagResource", { resourceArn: ARN }, "tagKeys: is required");
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "tasks", 1).taskProperties = { NOT_A_KEY: "x" })),
      /^tasks\[1\]\.taskProperties: key "NOT_A_KEY" must be one of VALUE, /,
    );
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "tasks", 1).taskProperties = { VALUE: "x".repeat(2049) })),
      "tasks[1].taskProperties.VALUE: must be at most 2048 characters",
    );
  });
  it("a __proto__ tag key is kept as data, not as a prototype", () => {
    const out = parseInput("TagResource", JSON.parse(`{"resourceArn":"${ARN}","tags":{"__proto__":"v"}}`));
    assert.deepEqual(Object.keys(out.tags), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(out.tags), Object.prototype);
  });
  it("timestamps: epoch seconds, or ISO-8601 converted to epoch seconds", () => {
    const start = (v: unknown) =>
      flow((f) => (at(f, "triggerConfig", "triggerProperties", "Scheduled").scheduleStartTime = v));
    const sched = (v: unknown) =>
      at(parseInput("CreateFlow", start(v)), "triggerConfig", "triggerProperties", "Scheduled");
    assert.equal(sched(1_700_000_000.5).scheduleStartTime, 1_700_000_000.5);
    assert.equal(sched("2024-01-01T00:00:00Z").scheduleStartTime, 1_704_067_200);
    assert.equal(sched("2024-01-01T01:00:00+01:00").scheduleStartTime, 1_704_067_200);
    assert.equal(sched("2024-01-01").scheduleStartTime, 1_704_067_200);
    for (const bad of ["yesterday", "2024-01-01T00:00:00", "2024-13-45T00:00:00Z", true, {}]) {
      rejects(
        "CreateFlow",
        start(bad),
        /scheduleStartTime: must be a timestamp \(epoch seconds or an ISO-8601 string\)$/,
      );
    }
  });
  it("unknown members are dropped, at any depth; null members count as absent", () => {
    const f = flow((f) => {
      f.somethingNew = { x: 1 };
      at(f, "sourceFlowConfig", "sourceConnectorProperties", "S3").futureOption = true;
      f.description = null;
    });
    const out = parseInput("CreateFlow", f) as Json;
    assert.equal("somethingNew" in out, false);
    assert.equal("description" in out, false);
    assert.equal("futureOption" in at(out, "sourceFlowConfig", "sourceConnectorProperties", "S3"), false);
    rejects(
      "CancelFlowExecutions",
      { flowName: "orders", executionIds: [null] },
      "executionIds[0]: must be a string",
    );
  });
  it("several problems are reported together, one per member", () => {
    rejects(
      "CreateFlow",
      { flowName: "-x" },
      /^flowName: must match pattern .*; triggerConfig: is required; sourceFlowConfig: is required$/,
    );
  });
});

/**
 * Checks our hand-written operations table and input schemas against the official AppFlow model, when
 * the model is on this machine: every operation bound alike, and every constraint the model states on
 * the inputs we accept enforced by parseInput (and nothing the model allows refused, except connector
 * types this server doesn't implement, which must say "not supported").
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type OperationName, operations } from "../../src/api/protocol/operations.ts";
import { appflowModel } from "../helpers/aws-model.ts";
import { redshiftDestination, validInput } from "../unit/shapes-fixtures.ts";
import { type Model, walkOperation } from "./model-conformance-walk.ts";

const found = appflowModel();
const model = found.model as Model | undefined;
const why = "why" in found ? found.why : "";

test("every model operation is in operations.ts with the same method and URI, and vice versa", (t) => {
  if (!model) return t.skip(why);
  const fromModel = Object.fromEntries(
    Object.entries(model.operations).map(([name, o]) => [
      name,
      { method: o.http.method, path: o.http.requestUri },
    ]),
  );
  const ours = Object.fromEntries(
    Object.entries(operations).map(([n, b]) => [n, { method: b.method, path: b.path }]),
  );
  assert.deepEqual(ours, fromModel);
});

/** The base request a walk starts from: the fixture, with both our destinations for flows. */
function baseFor(op: OperationName): Record<string, unknown> {
  const b = validInput(op);
  if (op === "CreateFlow" || op === "UpdateFlow") {
    // Members the fixture leaves out because a real S3 flow wouldn't set them; the model allows them.
    const dst = { ...redshiftDestination(), apiVersion: "v1" };
    b.destinationFlowConfigList = [...(b.destinationFlowConfigList as unknown[]), dst];
    (b.sourceFlowConfig as Record<string, unknown>).connectorProfileName = "source-profile";
  }
  return b;
}

for (const op of Object.keys(operations) as OperationName[]) {
  test(`${op}: parseInput enforces the model's input constraints`, (t) => {
    if (!model) return t.skip(why);
    const shapeName = model.operations[op]?.input?.shape;
    assert.ok(shapeName, `${op} has no input shape in the model`);
    const report = walkOperation(model, op, shapeName, baseFor(op));
    assert.deepEqual(report.failures, [], report.failures.join("\n"));
    assert.deepEqual(
      report.uncovered,
      [],
      `members the base request leaves out: ${report.uncovered.join(", ")}`,
    );
    assert.ok(report.checks > 0, "no constraint was checked");
  });
}

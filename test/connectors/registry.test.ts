import assert from "node:assert/strict";
import { test } from "node:test";
import { connectorRegistry, getConnector, toConnectorConfiguration } from "../../src/connectors/registry.ts";
import { appflowModel } from "../helpers/aws-model.ts";

type Shape = {
  type: string;
  members?: Record<string, { shape: string }>;
  enum?: string[];
  member?: { shape: string };
};
const found = appflowModel();
const why = "why" in found ? found.why : undefined;
const shapes = (found.model as { shapes: Record<string, Shape> } | undefined)?.shapes ?? {};

/** Checks a value against a model shape: known members only, enum values valid, types right. */
function conforms(value: unknown, shapeName: string, where: string): void {
  const shape = shapes[shapeName];
  assert.ok(shape, `unknown shape ${shapeName}`);
  switch (shape.type) {
    case "structure":
      assert.equal(typeof value, "object", where);
      for (const [k, v] of Object.entries(value as object)) {
        const member: { shape: string } | undefined = shape.members?.[k];
        assert.ok(member, `${where}.${k} is not a member of ${shapeName}`);
        conforms(v, member.shape, `${where}.${k}`);
      }
      break;
    case "list":
      assert.ok(Array.isArray(value), where);
      for (const [i, v] of (value as unknown[]).entries()) conforms(v, shape.member!.shape, `${where}[${i}]`);
      break;
    case "string":
      assert.equal(typeof value, "string", where);
      if (shape.enum)
        assert.ok(shape.enum.includes(value as string), `${where}: ${value} not in ${shapeName}`);
      break;
    case "boolean":
      assert.equal(typeof value, "boolean", where);
      break;
  }
}

test("registry holds S3 (source and destination), Redshift (destination only) and Salesforce (both)", {
  skip: why,
}, () => {
  assert.deepEqual([...connectorRegistry.keys()].sort(), ["Redshift", "S3", "Salesforce"]);
  const s3 = getConnector("S3")!;
  assert.ok(s3.source && s3.destination && !s3.profile);
  assert.deepEqual([...s3.source.operators], shapes.S3ConnectorOperator!.enum);
  assert.ok(!s3.source.operators.includes("CONTAINS"));
  const rs = getConnector("Redshift")!;
  assert.ok(!rs.source && rs.destination && rs.profile);
  assert.deepEqual(rs.destination.writeOperations, ["INSERT"]);
  const sf = getConnector("Salesforce")!;
  assert.ok(sf.source && sf.destination && sf.profile);
  assert.deepEqual([...sf.source.operators], shapes.SalesforceConnectorOperator!.enum);
  assert.deepEqual(sf.destination.writeOperations, shapes.WriteOperationType!.enum);
});

test("ConnectorConfiguration rendering uses only model members and values", { skip: why }, () => {
  for (const d of connectorRegistry.values()) {
    const config = toConnectorConfiguration(d);
    conforms(config, "ConnectorConfiguration", d.connectorType);
    assert.equal(config.canUseAsSource, d.source !== undefined);
    assert.equal(config.canUseAsDestination, d.destination !== undefined);
  }
  const s3 = toConnectorConfiguration(getConnector("S3")!);
  assert.deepEqual(s3.supportedDestinationConnectors, ["S3", "Redshift", "Salesforce"]);
  assert.deepEqual(s3.supportedTriggerTypes, ["OnDemand", "Scheduled"]);
  assert.deepEqual(s3.supportedSchedulingFrequencies, ["BYMINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"]);
  const rs = toConnectorConfiguration(getConnector("Redshift")!);
  assert.deepEqual(rs.supportedWriteOperations, ["INSERT"]);
  assert.equal(rs.supportedOperators, undefined);
});

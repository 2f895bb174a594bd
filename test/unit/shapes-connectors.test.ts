/** Connector types, operators and profiles: valid in the model but not implemented here → "not supported". */
import { describe, it } from "node:test";
import { parseInput } from "../../src/api/shapes/index.ts";
import { at, flow, type Json, rejects, validInput } from "./shapes-fixtures.ts";

describe("shapes: connector types this server implements", () => {
  it("a valid but unimplemented source is refused, naming what is supported", () => {
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "sourceFlowConfig").connectorType = "Marketo")),
      "sourceFlowConfig.connectorType: connector type Marketo is not supported by this server as a source; supported: S3, Salesforce",
    );
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "sourceFlowConfig").connectorType = "Redshift")),
      /Redshift is not supported by this server as a source/,
    );
  });
  it("a valid but unimplemented destination is refused", () => {
    rejects(
      "UpdateFlow",
      flow((f) => (at(f, "destinationFlowConfigList", 0).connectorType = "Snowflake")),
      "destinationFlowConfigList[0].connectorType: connector type Snowflake is not supported by this server as a destination; supported: S3, Redshift, Salesforce",
    );
  });
  it("connector properties must hold exactly the member for the connector type", () => {
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "destinationFlowConfigList", 0).connectorType = "Redshift")),
      "destinationFlowConfigList[0].destinationConnectorProperties.Redshift: is required when connectorType is Redshift; destinationFlowConfigList[0].destinationConnectorProperties.S3: must not be given when connectorType is Redshift",
    );
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "sourceFlowConfig").sourceConnectorProperties = { Marketo: { object: "leads" } })),
      "sourceFlowConfig.sourceConnectorProperties.Marketo: connector type Marketo is not supported by this server as a source; supported: S3, Salesforce",
    );
    rejects(
      "CreateFlow",
      flow((f) => (at(f, "sourceFlowConfig").sourceConnectorProperties = {})),
      "sourceFlowConfig.sourceConnectorProperties.S3: is required when connectorType is S3",
    );
  });
  it("task operators: one member, S3's operators only", () => {
    const op = (v: unknown) => flow((f) => (at(f, "tasks", 0).connectorOperator = v));
    rejects("CreateFlow", op({}), "tasks[0].connectorOperator: must have exactly one member (e.g. S3)");
    rejects(
      "CreateFlow",
      op({ S3: "CONTAINS" }),
      /^tasks\[0\]\.connectorOperator\.S3: must be one of PROJECTION, /,
    );
    rejects(
      "CreateFlow",
      op({ Marketo: "PROJECTION" }),
      "tasks[0].connectorOperator.Marketo: operators of connector type Marketo are not supported by this server; supported: S3, Salesforce",
    );
  });
  it("connector profiles: Redshift and Salesforce, with their required properties", () => {
    const profile = (edit: (p: Json) => void) => {
      const p = validInput("CreateConnectorProfile");
      edit(p);
      return p;
    };
    rejects(
      "CreateConnectorProfile",
      profile((p) => (p.connectorType = "S3")),
      "connectorType: connector type S3 is not supported by this server for connector profiles; supported: Redshift, Salesforce",
    );
    rejects(
      "CreateConnectorProfile",
      profile(
        (p) => delete at(p, "connectorProfileConfig", "connectorProfileProperties", "Redshift").roleArn,
      ),
      "connectorProfileConfig.connectorProfileProperties.Redshift.roleArn: is required",
    );
    rejects(
      "UpdateConnectorProfile",
      {
        connectorProfileName: "w",
        connectionMode: "Public",
        connectorProfileConfig: { connectorProfileProperties: {} },
      },
      // UpdateConnectorProfile names no connector type: with two profile types, the member can't be named.
      "connectorProfileConfig.connectorProfileProperties: must hold the member of the profile's connector type (one of Redshift, Salesforce)",
    );
  });
  it("a Scheduled trigger needs its schedule", () => {
    rejects(
      "CreateFlow",
      flow((f) => (f.triggerConfig = { triggerType: "Scheduled" })),
      "triggerConfig.triggerProperties.Scheduled: is required when triggerType is Scheduled",
    );
    parseInput(
      "CreateFlow",
      flow((f) => (f.triggerConfig = { triggerType: "OnDemand" })),
    );
    parseInput(
      "CreateFlow",
      flow((f) => (f.triggerConfig = { triggerType: "Event" })),
    );
  });
});

/**
 * The connector catalogue says only what is true of Sluice (S3: source and destination; Redshift:
 * destination only, needs a profile); ListConnectors lists registered custom connectors (none); entity listing goes through the real connectors; custom
 * connector registration is answered UnsupportedOperationException.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  DescribeConnectorCommand,
  DescribeConnectorEntityCommand,
  DescribeConnectorsCommand,
  ListConnectorEntitiesCommand,
  ListConnectorsCommand,
  RegisterConnectorCommand,
  ResetConnectorMetadataCacheCommand,
  UnregisterConnectorCommand,
  UpdateConnectorRegistrationCommand,
} from "@aws-sdk/client-appflow";
import { backends } from "../helpers/backends.ts";
import { writeCsv } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rejectsWith } from "./api-helpers.ts";

for (const backend of backends) {
  describe(`connectors (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    let s: TestServer;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      await writeCsv(s.dataDir, "catalog", "sales/2024/data.csv", 5);
    });
    after(async () => s?.close());

    test("DescribeConnectors describes S3, Redshift and Salesforce truthfully", { skip }, async () => {
      const all = (await s.client.send(new DescribeConnectorsCommand({}))).connectorConfigurations ?? {};
      assert.deepEqual(Object.keys(all).sort(), ["Redshift", "S3", "Salesforce"]);
      const s3 = all.S3!;
      assert.equal(s3.canUseAsSource, true);
      assert.equal(s3.canUseAsDestination, true);
      assert.deepEqual([...(s3.supportedDestinationConnectors ?? [])].sort(), [
        "Redshift",
        "S3",
        "Salesforce",
      ]);
      assert.ok(s3.supportedTriggerTypes?.includes("OnDemand"));
      assert.ok(s3.supportedOperators?.includes("PROJECTION"));
      assert.ok(!s3.supportedOperators?.includes("CONTAINS"), "S3 has no CONTAINS operator");
      assert.equal(s3.authenticationConfig, undefined, "S3 takes no profile");
      const rs = all.Redshift!;
      assert.equal(rs.canUseAsSource, false);
      assert.equal(rs.canUseAsDestination, true);
      assert.deepEqual(rs.supportedDestinationConnectors, []);
      assert.deepEqual(rs.supportedWriteOperations, ["INSERT"]);
      assert.equal(rs.authenticationConfig?.isBasicAuthSupported, true);
      assert.equal(rs.authenticationConfig?.isOAuth2Supported, false);
      for (const c of [s3, rs]) assert.equal(c.isPrivateLinkEnabled, false);
      const some = await s.client.send(new DescribeConnectorsCommand({ connectorTypes: ["S3", "Marketo"] }));
      assert.deepEqual(Object.keys(some.connectorConfigurations ?? {}), ["S3"], "no pretend Marketo");
    });

    test("ListConnectors lists registered custom connectors: none, not the built-in types", {
      skip,
    }, async () => {
      const { connectors, nextToken } = await s.client.send(new ListConnectorsCommand({}));
      assert.deepEqual(connectors, []);
      assert.equal(nextToken, undefined);
    });

    test("DescribeConnector: implemented types answer, others are ResourceNotFound", { skip }, async () => {
      const { connectorConfiguration } = await s.client.send(
        new DescribeConnectorCommand({ connectorType: "S3" }),
      );
      assert.equal(connectorConfiguration?.canUseAsSource, true);
      const rs = await s.client.send(new DescribeConnectorCommand({ connectorType: "Redshift" }));
      assert.equal(rs.connectorConfiguration?.canUseAsSource, false);
      await rejectsWith(
        s.client.send(new DescribeConnectorCommand({ connectorType: "Marketo" })),
        "ResourceNotFoundException",
        { status: 404, message: /Marketo/ },
      );
      await rejectsWith(
        s.client.send(new DescribeConnectorCommand({ connectorType: "NotAConnector" as "S3" })),
        "ValidationException",
        { status: 400, message: /connectorType/ },
      );
    });

    test("ListConnectorEntities / DescribeConnectorEntity read the real S3 store", { skip }, async () => {
      const buckets = await s.client.send(new ListConnectorEntitiesCommand({ connectorType: "S3" }));
      const top = Object.values(buckets.connectorEntityMap ?? {}).flat();
      assert.ok(top.some((e) => e.name === "catalog" && e.hasNestedEntities));
      const inside = await s.client.send(
        new ListConnectorEntitiesCommand({ connectorType: "S3", entitiesPath: "catalog/sales" }),
      );
      const names = Object.values(inside.connectorEntityMap ?? {})
        .flat()
        .map((e) => e.name);
      assert.deepEqual(names, ["catalog/sales/2024"]);
      const fields = await s.client.send(
        new DescribeConnectorEntityCommand({
          connectorType: "S3",
          connectorEntityName: "catalog/sales/2024/data.csv",
        }),
      );
      const ids = (fields.connectorEntityFields ?? []).map((f) => f.identifier);
      assert.ok(ids.includes("id") && ids.includes("email"), `fields: ${ids.join(",")}`);
      await rejectsWith(
        s.client.send(new ListConnectorEntitiesCommand({ connectorProfileName: "no-such-profile" })),
        "ResourceNotFoundException",
        { status: 404 },
      );
    });

    test("custom connector registration is UnsupportedOperationException", { skip }, async () => {
      const calls: [string, () => Promise<unknown>][] = [
        [
          "RegisterConnector",
          () =>
            s.client.send(
              new RegisterConnectorCommand({
                connectorLabel: "mine",
                connectorProvisioningType: "LAMBDA",
                connectorProvisioningConfig: {
                  lambda: { lambdaArn: "arn:aws:lambda:us-east-1:000000000000:function:connector" },
                },
              }),
            ),
        ],
        [
          "UpdateConnectorRegistration",
          () => s.client.send(new UpdateConnectorRegistrationCommand({ connectorLabel: "mine" })),
        ],
        [
          "UnregisterConnector",
          () => s.client.send(new UnregisterConnectorCommand({ connectorLabel: "mine" })),
        ],
        [
          "ResetConnectorMetadataCache",
          () => s.client.send(new ResetConnectorMetadataCacheCommand({ connectorType: "S3" })),
        ],
      ];
      for (const [op, call] of calls) {
        await rejectsWith(call(), "UnsupportedOperationException", {
          status: 400,
          message: /not supported/,
        }).catch((e: Error) => assert.fail(`${op}: ${e.message}`));
      }
      const { connectors } = await s.client.send(new ListConnectorsCommand({}));
      assert.ok(!connectors?.some((c) => c.connectorLabel === "mine"));
    });
  });
}

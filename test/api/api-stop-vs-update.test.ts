/**
 * StopFlow during an UpdateFlow, through the real SDK on both backends, forced: the UpdateFlow has
 * read the flow (Active) and is testing its destination profile's connection — held by a TCP proxy
 * in front of PostgreSQL — when StopFlow commits Suspended. Released, the update must not write the
 * Active it read back over the StopFlow: every flow-row write is a compare-and-set on row_version,
 * and the update re-reads and decides again.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AppflowClient,
  CreateConnectorProfileCommand,
  CreateFlowCommand,
  type CreateFlowRequest,
  DescribeFlowCommand,
  StartFlowCommand,
  StopFlowCommand,
  UpdateFlowCommand,
} from "@aws-sdk/client-appflow";
import { backends, PG_URL } from "../helpers/backends.ts";
import { copyTasks, csvSource } from "../helpers/flows.ts";
import { pgProxy } from "../helpers/pg-proxy.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

for (const backend of backends) {
  describe(`StopFlow vs UpdateFlow (${backend})`, async () => {
    const skip = await pgSkipReason("postgres"); // the profile's database is PostgreSQL in both cases
    let s: TestServer;
    let once: AppflowClient;
    let proxy: Awaited<ReturnType<typeof pgProxy>>;
    before(async () => {
      if (skip) return;
      s = await startTestServer(backend);
      once = new AppflowClient({
        endpoint: s.sluice.url,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: 1,
      });
      proxy = await pgProxy();
    });
    after(async () => {
      once?.destroy();
      await s?.close();
      await proxy?.close();
    });

    test("an UpdateFlow that read Active before a StopFlow keeps the flow Suspended", { skip }, async () => {
      await once.send(
        new CreateConnectorProfileCommand({
          connectorProfileName: "via-proxy",
          connectorType: "Redshift",
          connectionMode: "Public",
          connectorProfileConfig: {
            connectorProfileProperties: {
              Redshift: {
                databaseUrl: `jdbc:redshift://127.0.0.1:${proxy.port}/test`,
                bucketName: "sluice-staging",
                roleArn: "arn:aws:iam::000000000000:role/sluice",
              },
            },
            connectorProfileCredentials: {
              Redshift: { username: new URL(PG_URL).username || "postgres", password: "unused" },
            },
          },
        }),
      );
      const tomorrow = new Date(Math.ceil((Date.now() + 24 * 3_600_000) / 1000) * 1000);
      const flow: CreateFlowRequest = {
        flowName: "stop-vs-update",
        triggerConfig: {
          triggerType: "Scheduled",
          triggerProperties: {
            Scheduled: { scheduleExpression: "rate(1hours)", scheduleStartTime: tomorrow },
          },
        },
        sourceFlowConfig: csvSource("inbox", "rows"),
        destinationFlowConfigList: [
          {
            connectorType: "Redshift",
            connectorProfileName: "via-proxy",
            destinationConnectorProperties: {
              Redshift: { object: "public.stop_vs_update", intermediateBucketName: "sluice-staging" },
            },
          },
        ],
        tasks: copyTasks(),
      };
      await once.send(new CreateFlowCommand(flow));
      assert.equal((await once.send(new StartFlowCommand({ flowName: flow.flowName }))).flowStatus, "Active");

      const reached = proxy.hold();
      const update = once.send(new UpdateFlowCommand({ ...flow, description: "changed meanwhile" }));
      await reached; // the update has read the flow (Active) and is checking its profile
      const stopped = await once.send(new StopFlowCommand({ flowName: flow.flowName }));
      assert.equal(stopped.flowStatus, "Suspended");
      proxy.resume();
      const updated = await update;
      assert.equal(updated.flowStatus, "Suspended", "the update answers the status it really left");
      const d = await once.send(new DescribeFlowCommand({ flowName: flow.flowName }));
      assert.equal(d.flowStatus, "Suspended", "StopFlow is not undone");
      assert.equal(d.description, "changed meanwhile", "and the update is applied");
    });
  });
}

/**
 * The connector contract: every connector in the registry is held to it. Its declarations are what
 * validation accepts and what DescribeConnector reports; its destination behaves on cancel as its
 * commit mode says and reports exactly what the destination holds; its secrets stay out of errors.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseInput } from "../../src/api/shapes/index.ts";
import { connectors, toConnectorConfiguration } from "../../src/connectors/registry.ts";
import { memberOf } from "../../src/connectors/sdk/definition.ts";
import type { RunContext } from "../../src/connectors/types.ts";
import { connectorContext } from "../helpers/connector-context.ts";
import { s3ToS3Flow } from "../unit/shapes-fixtures.ts";
import { fixtures } from "./contract-fixtures.ts";

const MODEL_TRIGGERS = ["Scheduled", "Event", "OnDemand"];
const MODEL_WRITE_OPS = ["INSERT", "UPSERT", "UPDATE", "DELETE"];

function flowWith(type: string, role: "source" | "destination", props: Record<string, unknown>) {
  const f = s3ToS3Flow();
  const member = memberOf(connectors.find((c) => c.connectorType === type)!);
  if (role === "source") {
    f.sourceFlowConfig = { connectorType: type, sourceConnectorProperties: { [member]: props } };
    f.tasks = [{ sourceFields: ["id"], taskType: "Map", destinationField: "id" }];
  } else {
    f.destinationFlowConfigList = [
      { connectorType: type, destinationConnectorProperties: { [member]: props } },
    ];
  }
  return f;
}

function runContext(env: RunContext["env"]): RunContext {
  return {
    flow: {
      flowName: "contract",
      flowArn: "arn:aws:appflow:us-east-1:000000000000:flow/contract",
      accountId: "000000000000",
      region: "us-east-1",
      triggerConfig: { triggerType: "OnDemand" },
      sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: {} },
      destinationFlowConfigList: [],
      tasks: [],
      schemaVersion: 1,
    },
    executionId: "contract-run",
    startedAt: new Date(),
    env,
  };
}

for (const c of connectors) {
  const fx = fixtures[c.connectorType];
  const member = memberOf(c);
  describe(`connector contract: ${c.connectorType}`, () => {
    test("has a contract fixture", () => {
      assert.ok(fx, `test/connectors/contract-fixtures.ts has no entry for ${c.connectorType}`);
    });

    test("DescribeConnector reports what the declaration says, in the model's values", () => {
      const cfg = toConnectorConfiguration(c);
      assert.equal(cfg.connectorType, c.connectorType);
      assert.equal(cfg.canUseAsSource, c.source !== undefined);
      assert.equal(cfg.canUseAsDestination, c.destination !== undefined);
      assert.deepEqual(cfg.supportedOperators, c.source ? [...c.source.operators] : undefined);
      for (const t of cfg.supportedTriggerTypes as string[]) assert.ok(MODEL_TRIGGERS.includes(t), t);
      for (const w of (cfg.supportedWriteOperations as string[] | undefined) ?? [])
        assert.ok(MODEL_WRITE_OPS.includes(w), w);
      assert.equal(cfg.authenticationConfig !== undefined, c.profile !== undefined);
      if (c.source) {
        const dests = connectors.filter((d) => d.destination).map((d) => d.connectorType);
        assert.deepEqual(cfg.supportedDestinationConnectors, dests);
      }
    });

    test("its source/destination members are validated by its own schemas", () => {
      if (c.source) {
        assert.ok(fx?.sourceProperties, "fixture needs sourceProperties");
        parseInput("CreateFlow", flowWith(c.connectorType, "source", fx.sourceProperties));
        assert.throws(
          () => parseInput("CreateFlow", flowWith(c.connectorType, "source", { notAMember: 1 })),
          /ValidationException|sourceConnectorProperties/,
        );
        // Every declared operator is accepted in a task; an operator it doesn't declare is refused.
        for (const op of c.source.operators) {
          const f = flowWith(c.connectorType, "source", fx.sourceProperties);
          f.tasks = [{ sourceFields: ["id"], taskType: "Filter", connectorOperator: { [member]: op } }];
          parseInput("CreateFlow", f);
        }
        const f = flowWith(c.connectorType, "source", fx.sourceProperties);
        f.tasks = [
          { sourceFields: ["id"], taskType: "Filter", connectorOperator: { [member]: "NOT_AN_OP" } },
        ];
        assert.throws(() => parseInput("CreateFlow", f), /connectorOperator/);
      }
      if (c.destination) {
        assert.ok(fx?.destinationProperties, "fixture needs destinationProperties");
        parseInput("CreateFlow", flowWith(c.connectorType, "destination", fx.destinationProperties));
        const f = flowWith(c.connectorType, "destination", fx.destinationProperties);
        (
          f.destinationFlowConfigList as { destinationConnectorProperties: unknown }[]
        )[0]!.destinationConnectorProperties = {};
        assert.throws(() => parseInput("CreateFlow", f), new RegExp(`${member}: is required`));
      }
      if (c.profile) {
        assert.ok(fx?.profile, "fixture needs profile");
        const req = {
          connectorProfileName: "p",
          connectorType: c.connectorType,
          connectionMode: "Public",
          connectorProfileConfig: {
            connectorProfileProperties: { [member]: fx.profile.properties },
            connectorProfileCredentials: { [member]: fx.profile.credentials },
          },
        };
        parseInput("CreateConnectorProfile", req);
        assert.throws(
          () =>
            parseInput("CreateConnectorProfile", {
              ...req,
              connectorProfileConfig: { connectorProfileProperties: {} },
            }),
          new RegExp(`${member}: is required`),
        );
      }
    });

    if (c.destination && fx?.liveDestination) {
      test("cancel: no new batch after the soft signal; committed counts equal what the destination holds", async () => {
        const live = await fx.liveDestination!();
        try {
          const soft = new AbortController();
          const reported: number[] = [];
          const ctx = connectorContext(runContext(live.env), {
            signal: soft.signal,
            hardSignal: new AbortController().signal,
            profile: live.profile,
            onProgress: (p) => reported.push(p.recordsWritten),
          });
          const props = { [member]: live.properties };
          const dest = c.destination!.create(
            { connectorType: c.connectorType, destinationConnectorProperties: props },
            ctx,
          );
          const w = await dest.open();
          const rows = (from: number, n: number) =>
            Array.from({ length: n }, (_, i) => [from + i, `r${from + i}`]);
          await w.write({ fields: live.fields, rows: rows(1, 4), bytes: 0 });
          soft.abort();
          const before = await live.count();
          let after: number;
          if (w.commitMode === "streaming") {
            // A streaming destination refuses to go on once cancelled.
            await assert.rejects(w.write({ fields: live.fields, rows: rows(100, 4), bytes: 0 }));
            after = (await w.abort()).recordsWritten;
          } else {
            // A batch destination starts no new batch: the write either stops (AbortError) or returns
            // without starting one. Batches already loading when the cancel came commit whole (a loader
            // may load several at once, so they can still be committing here): at most the 4 records
            // written before the cancel are ever committed, and a progress report never runs ahead.
            const p = await w.write({ fields: live.fields, rows: rows(100, 4), bytes: 0 }).then(
              (x) => x,
              (e: unknown) => {
                assert.equal((e as Error).name, "AbortError", String(e));
                return undefined;
              },
            );
            after = (await w.abort()).recordsWritten;
            if (p) assert.ok(p.recordsWritten <= after, `reported ${p.recordsWritten}, then ${after}`);
            assert.ok(before <= after, `held ${before} before the abort, ${after} after`);
            assert.ok(after <= 4, `nothing written after the cancel was committed (${after} records)`);
          }
          assert.equal(await live.count(), after, "reported records equal the records the destination holds");
          if (reported.length > 0) assert.equal(reported.at(-1), after);
        } finally {
          await live.close();
        }
      });
    }

    if (c.profile && fx?.profile && fx.secret) {
      test("a failed connection test names no secret", async () => {
        const creds = { ...fx.profile!.credentials, username: "nobody_contract" };
        const err = await c
          .profile!.test({
            profile: {
              connectorProfileName: "p",
              connectorType: c.connectorType,
              properties: fx.profile!.properties,
              credentials: creds,
            },
            env: {
              dataDir: "/nonexistent",
              s3: {},
              redshiftBatchRows: 1,
              sourceParallelism: 1,
              batchRows: 1,
            },
            signal: AbortSignal.timeout(15_000),
            saveCredentials: async (x) => x,
          })
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          );
        if (err) {
          assert.ok(!err.message.includes(fx.secret!), err.message);
          assert.ok(!JSON.stringify(err).includes(fx.secret!));
        }
      });
    }
  });
}

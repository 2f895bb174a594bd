/**
 * Paging of the connector catalogue and entity listing, as the model states it: `maxResults` bounds a
 * page, `nextToken` continues exactly where the last page ended, and a token Sluice didn't issue (or
 * issued for another request) is a ValidationException. (In-memory listings: one backend suffices.)
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type AppflowClient,
  DescribeConnectorsCommand,
  ListConnectorEntitiesCommand,
  ListConnectorsCommand,
  ListFlowsCommand,
} from "@aws-sdk/client-appflow";
import { createS3ToS3Flow, makeBucket, writeCsv } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { rejectsWith } from "./api-helpers.ts";

async function allPages<T>(
  fetch: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let token: string | undefined;
  do {
    const r = await fetch(token);
    pages.push(r.items);
    token = r.nextToken;
  } while (token && pages.length < 100);
  return pages;
}

const entities = (client: AppflowClient, entitiesPath: string | undefined, maxResults?: number) =>
  allPages(async (nextToken) => {
    const r = await client.send(
      new ListConnectorEntitiesCommand({ connectorType: "S3", entitiesPath, maxResults, nextToken }),
    );
    return {
      items: Object.values(r.connectorEntityMap ?? {})
        .flat()
        .map((e) => e.name!),
      nextToken: r.nextToken,
    };
  });

describe("connector paging", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer("sqlite");
    for (const b of ["bkt-a", "bkt-b", "bkt-c"]) makeBucket(s.dataDir, b);
    for (let i = 0; i < 25; i++) await writeCsv(s.dataDir, "many", `p${String(i).padStart(2, "0")}.csv`, 1);
  });
  after(async () => s?.close());

  test("DescribeConnectors with maxResults=1 pages through every built-in type once", async () => {
    const pages = await allPages(async (nextToken) => {
      const r = await s.client.send(new DescribeConnectorsCommand({ maxResults: 1, nextToken }));
      return { items: Object.keys(r.connectorConfigurations ?? {}), nextToken: r.nextToken };
    });
    assert.deepEqual(pages, [["Redshift"], ["S3"], ["Salesforce"]]);
    const whole = await s.client.send(new DescribeConnectorsCommand({}));
    assert.deepEqual(Object.keys(whole.connectorConfigurations ?? {}).sort(), [
      "Redshift",
      "S3",
      "Salesforce",
    ]);
    assert.equal(whole.nextToken, undefined);
  });

  test("DescribeConnectors: a token is bound to the connectorTypes it was issued for", async () => {
    const first = await s.client.send(new DescribeConnectorsCommand({ maxResults: 1 }));
    assert.ok(first.nextToken);
    await rejectsWith(
      s.client.send(
        new DescribeConnectorsCommand({ connectorTypes: ["S3"], maxResults: 1, nextToken: first.nextToken }),
      ),
      "ValidationException",
      { status: 400, message: /nextToken/ },
    );
  });

  test("ListConnectorEntities with maxResults=1 returns one bucket a page, each once, in order", async () => {
    const pages = await entities(s.client, undefined, 1);
    assert.deepEqual(pages, [["bkt-a"], ["bkt-b"], ["bkt-c"], ["many"]]);
    // Without maxResults a page holds at most 20 (AppFlow's default), and the token continues it.
    const inside = await entities(s.client, "many");
    assert.deepEqual(
      inside.map((p) => p.length),
      [20, 5],
    );
    assert.equal(new Set(inside.flat()).size, 25);
  });

  test("ListConnectors: none registered, and maxResults=1 doesn't invent a next page", async () => {
    const r = await s.client.send(new ListConnectorsCommand({ maxResults: 1 }));
    assert.deepEqual(r.connectors, []);
    assert.equal(r.nextToken, undefined);
  });

  test("a nextToken Sluice didn't issue, or issued by another operation, is refused", async () => {
    makeBucket(s.dataDir, "flow-in");
    makeBucket(s.dataDir, "flow-out");
    for (const n of ["f1", "f2"])
      await createS3ToS3Flow(s.client, n, { inBucket: "flow-in", prefix: "x", outBucket: "flow-out" });
    const flowsToken = (await s.client.send(new ListFlowsCommand({ maxResults: 1 }))).nextToken;
    assert.ok(flowsToken);
    const entityToken = (
      await s.client.send(new ListConnectorEntitiesCommand({ connectorType: "S3", maxResults: 1 }))
    ).nextToken;
    assert.ok(entityToken);
    for (const nextToken of ["not-a-token", flowsToken, entityToken]) {
      if (nextToken !== entityToken) {
        await rejectsWith(
          s.client.send(new ListConnectorEntitiesCommand({ connectorType: "S3", nextToken })),
          "ValidationException",
          { status: 400, message: /nextToken/ },
        );
      }
      await rejectsWith(s.client.send(new DescribeConnectorsCommand({ nextToken })), "ValidationException", {
        status: 400,
        message: /nextToken/,
      });
      await rejectsWith(s.client.send(new ListConnectorsCommand({ nextToken })), "ValidationException", {
        status: 400,
        message: /nextToken/,
      });
    }
    // An entity token for another path is another request's.
    await rejectsWith(
      s.client.send(
        new ListConnectorEntitiesCommand({
          connectorType: "S3",
          entitiesPath: "many",
          nextToken: entityToken,
        }),
      ),
      "ValidationException",
      { status: 400, message: /nextToken/ },
    );
  });
});

/**
 * The Salesforce connector's HTTP layer against the fake Salesforce: Bearer calls, one refresh on
 * INVALID_SESSION_ID (stored through saveCredentials), a failed refresh asking for re-authorization,
 * 503 retried with backoff, REQUEST_LIMIT_EXCEEDED ending clearly, Sforce-Limit-Info read; the REST
 * pager and the Bulk API 2.0 query and ingest runners, including their cancel points.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { IngestJob } from "../../src/connectors/salesforce/bulk-ingest.ts";
import { bulkQuery } from "../../src/connectors/salesforce/bulk-query.ts";
import { writeCollection } from "../../src/connectors/salesforce/collections.ts";
import { countRecords, restQuery } from "../../src/connectors/salesforce/rest-query.ts";
import { type SalesforceCredentials, TokenHolder } from "../../src/connectors/salesforce/sf-auth.ts";
import { type LimitInfo, SalesforceClient } from "../../src/connectors/salesforce/sf-http.ts";
import type { RecordBatch } from "../../src/connectors/types.ts";
import { ConnectorAuthenticationError, ConnectorServerError } from "../../src/domain/errors.ts";
import { type FakeSalesforce, startFakeSalesforce } from "../fakes/salesforce/server.ts";

const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-app";
const never = new AbortController().signal;

describe("Salesforce HTTP layer against the fake", () => {
  let fake: FakeSalesforce;
  let dataDir: string;
  let saved: Record<string, unknown>[];
  let limits: LimitInfo[];

  const connect = (creds: SalesforceCredentials) => {
    const auth = new TokenHolder(creds, {
      instanceUrl: fake.instanceUrl,
      dataDir,
      save: async (c) => {
        saved.push(c);
        return c;
      },
    });
    const client = new SalesforceClient({
      instanceUrl: fake.instanceUrl,
      apiVersion: "62.0",
      auth,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      onLimitInfo: (l) => limits.push(l),
    });
    return { auth, client };
  };
  const profile = (): SalesforceCredentials => ({
    accessToken: fake.issueAccessToken(),
    refreshToken: fake.refreshToken,
    clientCredentialsArn: ARN,
  });

  before(async () => {
    fake = await startFakeSalesforce({
      records: { Account: 450, Contact: 0, Opportunity: 0 },
      queryJobQueuedMs: 0,
      queryJobMs: 0,
      ingestJobQueuedMs: 0,
      ingestJobMs: 0,
    });
    dataDir = mkdtempSync(join(tmpdir(), "sf-client-"));
    writeFileSync(
      join(dataDir, "secrets.json"),
      JSON.stringify({ [ARN]: { clientId: fake.clientId, clientSecret: fake.clientSecret } }),
    );
  });
  after(() => fake.stop());
  beforeEach(() => {
    saved = [];
    limits = [];
    fake.clearCalls();
    fake.clearFaults();
  });

  test("an expired access token is refreshed once, saved, and the call retried", async () => {
    const creds = profile();
    fake.expireAccessTokens(creds.accessToken);
    const { client } = connect(creds);
    // Two calls at once share one refresh.
    const [a, b] = await Promise.all([
      countRecords(client, "SELECT COUNT() FROM Account", false, never),
      countRecords(client, "SELECT COUNT() FROM Account", false, never),
    ]);
    assert.equal(a, 450);
    assert.equal(b, 450);
    const grants = fake.calls().filter((c) => c.path === "/services/oauth2/token");
    assert.deepEqual(
      grants.map((g) => [g.grantType, g.status]),
      [["refresh_token", 200]],
    );
    assert.equal(saved.length, 1);
    assert.notEqual(saved[0]!.accessToken, creds.accessToken);
    assert.equal(saved[0]!.refreshToken, creds.refreshToken);
    assert.ok(limits.length > 0 && limits.at(-1)!.limit === 100_000);
  });

  test("a refused refresh ends with ConnectorAuthenticationError asking for re-authorization", async () => {
    const creds = { ...profile(), refreshToken: fake.issueRefreshToken() };
    fake.expireAccessTokens(creds.accessToken);
    fake.revokeRefreshToken(creds.refreshToken);
    const { client } = connect(creds);
    await assert.rejects(countRecords(client, "SELECT COUNT() FROM Account", false, never), (e) => {
      assert.ok(e instanceof ConnectorAuthenticationError);
      assert.match(e.message, /invalid_grant.*re-authorized/);
      assert.ok(!e.message.includes(creds.refreshToken));
      return true;
    });
    assert.equal(saved.length, 0);
  });

  test("JWT_BEARER and CLIENT_CREDENTIALS profiles get their first token from the token endpoint", async () => {
    const jwtToken = fake.signJwt({
      iss: fake.clientId,
      sub: fake.username,
      aud: "https://login.salesforce.com",
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    for (const creds of [
      { oAuth2GrantType: "JWT_BEARER" as const, jwtToken },
      { oAuth2GrantType: "CLIENT_CREDENTIALS" as const, clientCredentialsArn: ARN },
    ]) {
      saved = [];
      fake.clearCalls();
      const { client } = connect(creds);
      assert.equal(await countRecords(client, "SELECT COUNT() FROM Account", false, never), 450);
      const grants = fake.calls().filter((c) => c.path === "/services/oauth2/token");
      assert.deepEqual(
        grants.map((g) => [g.grantType, g.status]),
        [
          [
            creds.oAuth2GrantType === "JWT_BEARER"
              ? "urn:ietf:params:oauth:grant-type:jwt-bearer"
              : "client_credentials",
            200,
          ],
        ],
      );
      assert.equal(saved.length, 1);
      assert.equal(typeof saved[0]!.accessToken, "string");
    }
  });

  test("an unknown clientCredentialsArn names the secrets file", async () => {
    const creds = { ...profile(), clientCredentialsArn: `${ARN}-missing` };
    fake.expireAccessTokens(creds.accessToken);
    const { client } = connect(creds);
    await assert.rejects(
      countRecords(client, "SELECT COUNT() FROM Account", false, never),
      /not in secrets\.json/,
    );
  });

  test("503 SERVER_UNAVAILABLE is retried with backoff; past the attempts it ends clearly", async () => {
    const { client } = connect(profile());
    fake.injectFault("SERVER_UNAVAILABLE", { path: "/query", times: 2 });
    assert.equal(await countRecords(client, "SELECT COUNT() FROM Account", false, never), 450);
    fake.injectFault("SERVER_UNAVAILABLE", { path: "/query", times: 3 });
    await assert.rejects(
      countRecords(client, "SELECT COUNT() FROM Account", false, never),
      /503 SERVER_UNAVAILABLE.*after 3 attempts/,
    );
  });

  test("a 500 on a POST is not repeated (it may have been done); REQUEST_LIMIT_EXCEEDED says the limit is used up", async () => {
    const { client } = connect(profile());
    fake.injectFault("UNKNOWN_EXCEPTION", { path: "/jobs/query", method: "POST" });
    await assert.rejects(
      client.json("POST", "/jobs/query", {
        json: { operation: "query", query: "SELECT Id FROM Account" },
        signal: never,
      }),
      /500 UNKNOWN_EXCEPTION/,
    );
    assert.equal(fake.calls().filter((c) => c.path.endsWith("/jobs/query")).length, 1);
    await countRecords(client, "SELECT COUNT() FROM Account", false, never); // usage is known from here on
    fake.injectFault("REQUEST_LIMIT_EXCEEDED", { path: "/query" });
    await assert.rejects(countRecords(client, "SELECT COUNT() FROM Account", false, never), (e) => {
      assert.ok(e instanceof ConnectorServerError);
      assert.match(
        e.message,
        /REQUEST_LIMIT_EXCEEDED.*API request limit is used up \(api-usage \d+\/100000\)/,
      );
      return true;
    });
  });

  test("the REST pager follows nextRecordsUrl; after stop it finishes the page and asks for no other", async () => {
    const { client } = connect(profile());
    const fields = ["Id", "Name", "AnnualRevenue"];
    const soql = `SELECT ${fields.join(", ")} FROM Account`;
    const all: RecordBatch[] = [];
    for await (const b of restQuery(client, soql, fields, {
      all: false,
      batchSize: 200,
      stop: never,
      signal: never,
    }))
      all.push(b);
    assert.deepEqual(
      all.map((b) => b.rows.length),
      [200, 200, 50],
    );
    assert.equal(new Set(all.flatMap((b) => b.rows.map((r) => r[0]))).size, 450);
    assert.equal(typeof all[0]!.rows.find((r) => r[2] !== null)?.[2], "number");

    const stop = new AbortController();
    const got: RecordBatch[] = [];
    fake.clearCalls();
    for await (const b of restQuery(client, soql, fields, {
      all: false,
      batchSize: 200,
      stop: stop.signal,
      signal: never,
    })) {
      got.push(b);
      stop.abort();
    }
    assert.equal(got.length, 1);
    assert.equal(fake.calls().filter((c) => c.path.includes("/query")).length, 1);
  });

  test("Bulk 2.0 query: chunks follow Sforce-Locator; a stop during a chunk reads it whole and requests no more", async () => {
    const { client } = connect(profile());
    const soql = "SELECT Id, Name FROM Account";
    const sizes: number[] = [];
    const poll = { initialMs: 1, maxMs: 10 };
    for await (const b of bulkQuery(client, soql, {
      all: false,
      maxRecords: 200,
      poll,
      stop: never,
      signal: never,
    }))
      sizes.push(b.rows.length);
    assert.deepEqual(sizes, [200, 200, 50]);

    const stop = new AbortController();
    const gate = fake.hold("/results");
    const got: RecordBatch[] = [];
    const reading = (async () => {
      for await (const b of bulkQuery(client, soql, {
        all: false,
        maxRecords: 200,
        poll,
        stop: stop.signal,
        signal: never,
      }))
        got.push(b);
    })();
    await gate.arrived;
    stop.abort();
    gate.release();
    await reading;
    assert.deepEqual(
      got.map((b) => b.rows.length),
      [200],
    );
    assert.equal(fake.calls().filter((c) => c.path.endsWith("/results")).length, 1 + 3);
  });

  test("Bulk 2.0 query: a stop while the job runs aborts it; a Failed job ends with Salesforce's message", async () => {
    const { client } = connect(profile());
    fake.configure({ queryJobMs: 60_000 });
    const stop = new AbortController();
    let jobId = "";
    const poll = { initialMs: 1, maxMs: 10 };
    const gate = fake.hold("/jobs/query/", "GET");
    const reading = (async () => {
      const out: RecordBatch[] = [];
      for await (const b of bulkQuery(client, "SELECT Id FROM Account", {
        all: false,
        maxRecords: 200,
        poll,
        stop: stop.signal,
        signal: never,
        onJob: (id) => {
          jobId = id;
        },
      }))
        out.push(b);
      return out;
    })();
    await gate.arrived;
    stop.abort();
    gate.release();
    assert.deepEqual(await reading, []);
    const info = await client.json<{ state: string }>("GET", `/jobs/query/${jobId}`, { signal: never });
    assert.equal(info.state, "Aborted");
    fake.configure({ queryJobMs: 0 });
    fake.failNextQueryJob("the query took too long");
    await assert.rejects(
      (async () => {
        for await (const _ of bulkQuery(client, "SELECT Id FROM Account", {
          all: false,
          maxRecords: 200,
          poll,
          stop: never,
          signal: never,
        })) {
          // nothing
        }
      })(),
      /ended Failed: the query took too long/,
    );
  });

  test("Bulk 2.0 ingest: rows are written, failures come back per record; a job not yet uploaded is aborted", async () => {
    const { client } = connect(profile());
    const poll = { initialMs: 1, maxMs: 10 };
    const job = new IngestJob(client, { object: "Account", operation: "insert" }, poll);
    const out = await job.run(
      ["Name", "Industry"],
      [
        ["Ingested A", "Energy"],
        ["Ingested B", null],
        [null, "Energy"],
      ],
      never,
      never,
    );
    assert.equal(out.processed, 3);
    assert.equal(out.failed.length, 1);
    assert.match(out.failed[0]!.error, /REQUIRED_FIELD_MISSING/);
    const names = fake.records("Account").map((r) => r.Name);
    assert.ok(names.includes("Ingested A") && names.includes("Ingested B"));

    const soft = new AbortController();
    const gate = fake.hold("/batches", "PUT");
    const j2 = new IngestJob(client, { object: "Account", operation: "insert" }, poll);
    const running = j2.run(["Name"], [["Never written"]], soft.signal, never);
    await gate.arrived;
    soft.abort();
    gate.release();
    await assert.rejects(running);
    assert.equal(j2.committed, false);
    await j2.abort(never);
    const info = await client.json<{ state: string }>("GET", `/jobs/ingest/${j2.id}`, { signal: never });
    assert.equal(info.state, "Aborted");
    assert.ok(!fake.records("Account").some((r) => r.Name === "Never written"));
  });

  test("sObject Collections insert and upsert, one failure alone", async () => {
    const { client } = connect(profile());
    const ins = await writeCollection(
      client,
      { object: "Account", operation: "insert" },
      ["Name", "External_Id__c"],
      [
        ["Coll 1", "X-1"],
        [null, "X-2"],
      ],
      never,
    );
    assert.equal(ins.ok, 1);
    assert.equal(ins.failed.length, 1);
    const up = await writeCollection(
      client,
      { object: "Account", operation: "upsert", externalIdFieldName: "External_Id__c" },
      ["Name", "External_Id__c"],
      [
        ["Coll 1 renamed", "X-1"],
        ["Coll 3", "X-3"],
      ],
      never,
    );
    assert.equal(up.ok, 2);
    const names = fake.records("Account").map((r) => r.Name);
    assert.ok(names.includes("Coll 1 renamed") && names.includes("Coll 3") && !names.includes("Coll 1"));
  });
});

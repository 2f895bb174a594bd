/**
 * The fake Salesforce's REST side behaves as Salesforce documents it: OAuth grants and their errors,
 * token expiry → 401 INVALID_SESSION_ID → refresh → 200, query/queryAll pagination with nextRecordsUrl,
 * describe, sObject Collections with allOrNone, Sforce-Limit-Info and REQUEST_LIMIT_EXCEEDED, injected 503s.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakeSalesforce, startFakeSalesforce } from "./salesforce/server.ts";
import { client, refresh, tokenFor, V } from "./salesforce-client.ts";

type Page = { totalSize: number; done: boolean; nextRecordsUrl?: string; records: Record<string, unknown>[] };

describe("fake Salesforce: OAuth and REST", () => {
  let fake: FakeSalesforce;
  before(async () => {
    fake = await startFakeSalesforce({ records: { Account: 450, Contact: 20, Opportunity: 5 } });
  });
  after(() => fake.stop());

  test("refresh_token grant checks the client and answers the documented token body", async () => {
    const ok = await tokenFor(fake, {
      grant_type: "refresh_token",
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      refresh_token: fake.refreshToken,
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Record<string, string>;
    assert.equal(body.instance_url, fake.instanceUrl);
    assert.equal(body.token_type, "Bearer");
    assert.match(body.access_token!, /^00D\w+!/);
    assert.ok(body.id && body.issued_at && body.signature);

    const badSecret = await tokenFor(fake, {
      grant_type: "refresh_token",
      client_id: fake.clientId,
      client_secret: "nope",
      refresh_token: fake.refreshToken,
    });
    assert.equal(badSecret.status, 400);
    assert.deepEqual(await badSecret.json(), {
      error: "invalid_client",
      error_description: "invalid client credentials",
    });
    const badClient = await tokenFor(fake, {
      grant_type: "refresh_token",
      client_id: "x",
      client_secret: fake.clientSecret,
      refresh_token: fake.refreshToken,
    });
    assert.deepEqual(await badClient.json(), {
      error: "invalid_client_id",
      error_description: "client identifier invalid",
    });
  });

  test("a revoked refresh token answers invalid_grant", async () => {
    const rt = fake.issueRefreshToken();
    await refresh(fake, rt);
    assert.equal(fake.revokeRefreshToken(rt), 1);
    const r = await tokenFor(fake, {
      grant_type: "refresh_token",
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      refresh_token: rt,
    });
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), {
      error: "invalid_grant",
      error_description: "expired access/refresh token",
    });
  });

  test("JWT bearer and client_credentials grants", async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const good = fake.signJwt({
      iss: fake.clientId,
      sub: fake.username,
      aud: "https://login.salesforce.com",
      exp,
    });
    const r = await tokenFor(fake, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: good,
    });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as Record<string, unknown>).refresh_token, undefined);
    const tampered = `${good.slice(0, -4)}AAAA`;
    const bad = await tokenFor(fake, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: tampered,
    });
    assert.deepEqual(await bad.json(), { error: "invalid_grant", error_description: "invalid assertion" });
    const expired = fake.signJwt({ iss: fake.clientId, sub: fake.username, aud: "x", exp: 1 });
    assert.equal(
      (
        (await (
          await tokenFor(fake, {
            grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
            assertion: expired,
          })
        ).json()) as { error: string }
      ).error,
      "invalid_grant",
    );

    const cc = await tokenFor(fake, {
      grant_type: "client_credentials",
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
    });
    assert.equal(cc.status, 200);
    const ccBad = await tokenFor(fake, {
      grant_type: "client_credentials",
      client_id: fake.clientId,
      client_secret: "x",
    });
    assert.equal(ccBad.status, 400);
    const unknown = await tokenFor(fake, { grant_type: "password" });
    assert.deepEqual(await unknown.json(), {
      error: "unsupported_grant_type",
      error_description: "grant type not supported",
    });
  });

  test("an expired access token answers 401 INVALID_SESSION_ID; a refreshed one works", async () => {
    const token = await refresh(fake);
    const api = client(fake, token);
    assert.equal((await api.call("GET", `${V}/sobjects`)).status, 200);
    fake.expireAccessTokens(token);
    const r = await api.json("GET", `${V}/sobjects`);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
    const again = client(fake, await refresh(fake));
    assert.equal((await again.call("GET", `${V}/sobjects`)).status, 200);
  });

  test("query pages with nextRecordsUrl and batchSize; queryAll sees deleted records", async () => {
    const api = client(fake, await refresh(fake));
    const first = (await (
      await api.query("SELECT Id, Name FROM Account", false, { "sforce-query-options": "batchSize=200" })
    ).json()) as Page;
    assert.equal(first.totalSize, 450);
    assert.equal(first.done, false);
    assert.equal(first.records.length, 200);
    assert.match(first.nextRecordsUrl!, /^\/services\/data\/v62\.0\/query\/01g\w+-200$/);
    assert.deepEqual(Object.keys(first.records[0]!), ["attributes", "Id", "Name"]);
    const ids = first.records.map((r) => r.Id);
    let next = first.nextRecordsUrl;
    while (next) {
      const page = (await (await api.call("GET", next)).json()) as Page;
      ids.push(...page.records.map((r) => r.Id));
      next = page.nextRecordsUrl;
      if (!next) assert.equal(page.done, true);
    }
    assert.equal(ids.length, 450, "no record on two pages");
    assert.equal(new Set(ids).size, 450);
    assert.ok(ids.every((id) => typeof id === "string" && id.length === 18 && id.startsWith("001")));

    const victim = String(ids[0]);
    fake.delete("Account", victim);
    const q = (await (
      await api.query(`SELECT Id, IsDeleted FROM Account WHERE Id = '${victim}'`)
    ).json()) as Page;
    assert.equal(q.totalSize, 0);
    const qa = (await (
      await api.query(`SELECT Id, IsDeleted FROM Account WHERE Id = '${victim.slice(0, 15)}'`, true)
    ).json()) as Page;
    assert.equal(qa.totalSize, 1);
    assert.equal(qa.records[0]!.IsDeleted, true);
    const count = (await (await api.query("SELECT COUNT() FROM Account")).json()) as Page;
    assert.deepEqual(count, { totalSize: 449, done: true, records: [] });
    fake.configure({ countOffset: 1_000_000 });
    const big = (await (await api.query("SELECT COUNT() FROM Account")).json()) as Page;
    fake.configure({ countOffset: 0 });
    assert.equal(big.totalSize, 1_000_449);
    const bad = await api.json<{ errorCode: string }[]>("GET", `${V}/query/01gnope-200`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body[0]!.errorCode, "INVALID_QUERY_LOCATOR");
  });

  test("describe global and sObject describe carry typed field metadata", async () => {
    const api = client(fake, await refresh(fake));
    const global = await api.json<{ sobjects: { name: string }[] }>("GET", `${V}/sobjects`);
    assert.deepEqual(
      global.body.sobjects.map((s) => s.name),
      ["Account", "Contact", "Opportunity"],
    );
    const d = await api.json<{ fields: Record<string, unknown>[] }>(
      "GET",
      `${V}/sobjects/Opportunity/describe`,
    );
    const byName = new Map(d.body.fields.map((f) => [f.name, f]));
    assert.equal(byName.get("Id")!.type, "id");
    assert.equal(byName.get("Amount")!.type, "currency");
    assert.equal(byName.get("CloseDate")!.type, "date");
    assert.equal(byName.get("SystemModstamp")!.type, "datetime");
    assert.equal(byName.get("SystemModstamp")!.updateable, false);
    assert.deepEqual(byName.get("AccountId")!.referenceTo, ["Account"]);
    assert.equal((byName.get("StageName")!.picklistValues as unknown[]).length, 5);
    const missing = await api.json("GET", `${V}/sobjects/Nope/describe`);
    assert.equal(missing.status, 404);
  });

  test("sObject Collections: per-record results, allOrNone rolls back, upsert and delete", async () => {
    const api = client(fake, await refresh(fake));
    const records = [
      { attributes: { type: "Contact" }, LastName: "Ok", Email: "ok@example.com" },
      { attributes: { type: "Contact" }, FirstName: "NoLastName" },
    ];
    const before = fake.records("Contact").length;
    const rolled = await api.json<{ success: boolean; errors: { statusCode: string }[] }[]>(
      "POST",
      `${V}/composite/sobjects`,
      { allOrNone: true, records },
    );
    assert.equal(rolled.status, 200);
    assert.deepEqual(
      rolled.body.map((r) => [r.success, r.errors[0]!.statusCode]),
      [
        [false, "ALL_OR_NONE_OPERATION_ROLLED_BACK"],
        [false, "REQUIRED_FIELD_MISSING"],
      ],
    );
    assert.equal(fake.records("Contact").length, before);
    const partial = await api.json<{ id: string | null; success: boolean }[]>(
      "POST",
      `${V}/composite/sobjects`,
      { allOrNone: false, records },
    );
    assert.deepEqual(
      partial.body.map((r) => r.success),
      [true, false],
    );
    const id = partial.body[0]!.id!;
    assert.equal(fake.records("Contact").length, before + 1);

    const upd = await api.json<{ success: boolean }[]>("PATCH", `${V}/composite/sobjects`, {
      records: [{ attributes: { type: "Contact" }, id, LastName: "Renamed" }],
    });
    assert.equal(upd.body[0]!.success, true);
    assert.equal(fake.records("Contact").find((r) => r.Id === id)!.LastName, "Renamed");
    const ups = await api.json<{ success: boolean; created: boolean }[]>(
      "PATCH",
      `${V}/composite/sobjects/Account/External_Id__c`,
      {
        records: [
          { attributes: { type: "Account" }, External_Id__c: "ACC-000002", Name: "Updated by upsert" },
          { attributes: { type: "Account" }, External_Id__c: "NEW-1", Name: "Created by upsert" },
        ],
      },
    );
    assert.deepEqual(
      ups.body.map((r) => [r.success, r.created]),
      [
        [true, false],
        [true, true],
      ],
    );
    const del = await api.json<{ success: boolean }[]>(
      "DELETE",
      `${V}/composite/sobjects?ids=${id}&allOrNone=false`,
    );
    assert.equal(del.body[0]!.success, true);
    assert.equal(
      fake.records("Contact").find((r) => r.Id === id),
      undefined,
    );
  });

  test("Sforce-Limit-Info counts calls; the limit answers REQUEST_LIMIT_EXCEEDED; faults are injected", async () => {
    const api = client(fake, await refresh(fake));
    const a = await api.call("GET", `${V}/sobjects`);
    const used = Number(/api-usage=(\d+)\/100000/.exec(a.headers.get("sforce-limit-info") ?? "")![1]);
    const b = await api.call("GET", `${V}/sobjects`);
    assert.equal(b.headers.get("sforce-limit-info"), `api-usage=${used + 1}/100000`);
    fake.configure({ dailyApiLimit: used + 1 });
    const over = await api.json("GET", `${V}/sobjects`);
    assert.equal(over.status, 403);
    assert.deepEqual(over.body, [
      { message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" },
    ]);
    fake.resetApiUsage();
    const fresh = await api.call("GET", `${V}/sobjects`);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get("sforce-limit-info"), `api-usage=1/${used + 1}`);
    fake.configure({ dailyApiLimit: 100_000 });

    fake.injectFault("SERVER_UNAVAILABLE", { path: "/query", times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.query("SELECT Id FROM Contact LIMIT 1")).status);
    assert.deepEqual(statuses, [503, 503, 200]);
    const calls = fake.calls().filter((c) => c.path.endsWith("/query"));
    assert.deepEqual(
      calls.slice(-3).map((c) => c.status),
      [503, 503, 200],
    );
  });
});

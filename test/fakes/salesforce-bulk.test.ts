/**
 * The fake's Bulk API 2.0 follows the documented job lifecycles, driven by an injected clock (no sleeps):
 * query jobs UploadComplete → InProgress → JobComplete with results in Sforce-Locator chunks, aborted and
 * failed jobs; ingest jobs Open → UploadComplete → JobComplete with successful / failed / unprocessed
 * results, per-record validation failures, aborts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakeSalesforce, startFakeSalesforce } from "./salesforce/server.ts";
import { client, refresh, V } from "./salesforce-client.ts";

type Json = Record<string, unknown>;

describe("fake Salesforce: Bulk API 2.0", () => {
  let fake: FakeSalesforce;
  let api: ReturnType<typeof client>;
  let t = Date.UTC(2026, 0, 1);
  const advance = (ms: number): void => {
    t += ms;
  };
  before(async () => {
    fake = await startFakeSalesforce({
      records: { Account: 250, Contact: 0, Opportunity: 0 },
      now: () => t,
      queryJobQueuedMs: 1000,
      queryJobMs: 5000,
      ingestJobQueuedMs: 1000,
      ingestJobMs: 3000,
    });
    api = client(fake, await refresh(fake));
  });
  after(() => fake.stop());

  const state = async (kind: "query" | "ingest", id: string): Promise<Json> =>
    (await api.json<Json>("GET", `${V}/jobs/${kind}/${id}`)).body;

  test("a query job moves through its states and its results come in Sforce-Locator chunks", async () => {
    const created = await api.json<Json>("POST", `${V}/jobs/query`, {
      operation: "query",
      query: "SELECT Id, Name, Description FROM Account",
    });
    assert.equal(created.status, 200);
    assert.equal(created.body.state, "UploadComplete");
    assert.equal(created.body.object, "Account");
    assert.equal(created.body.apiVersion, 62);
    const id = String(created.body.id);
    const early = await api.json<Json[]>("GET", `${V}/jobs/query/${id}/results`);
    assert.equal(early.status, 400);
    assert.equal(early.body[0]!.errorCode, "INVALIDJOBSTATE");
    advance(1000);
    assert.equal((await state("query", id)).state, "InProgress");
    advance(4000);
    const done = await state("query", id);
    assert.equal(done.state, "JobComplete");
    assert.equal(done.numberRecordsProcessed, 250);

    const chunks: { n: string | null; locator: string | null; body: string }[] = [];
    let locator: string | null = "";
    while (locator !== "null") {
      const r = await api.call(
        "GET",
        `${V}/jobs/query/${id}/results?maxRecords=100${locator ? `&locator=${locator}` : ""}`,
      );
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /text\/csv/);
      locator = r.headers.get("sforce-locator");
      chunks.push({ n: r.headers.get("sforce-numberofrecords"), locator, body: await r.text() });
    }
    assert.deepEqual(
      chunks.map((c) => c.n),
      ["100", "100", "50"],
    );
    assert.equal(chunks[2]!.locator, "null");
    for (const c of chunks) assert.ok(c.body.startsWith('"Id","Name","Description"\n'));
    // The first seeded account has a description with a quote, a comma and a line break: quoted as CSV.
    assert.ok(chunks[0]!.body.includes('"Line one, ""quoted""\nline two"'));
    const again = await api.call(
      "GET",
      `${V}/jobs/query/${id}/results?maxRecords=100&locator=${chunks[0]!.locator}`,
    );
    assert.equal(await again.text(), chunks[1]!.body);
    const ids = chunks.flatMap((c) => [...c.body.matchAll(/^"(001\w{15})"/gm)].map((m) => m[1]));
    assert.equal(new Set(ids).size, 250);
  });

  test("a held results call answers only once released (deterministic mid-chunk tests)", async () => {
    const { body } = await api.json<Json>("POST", `${V}/jobs/query`, {
      operation: "query",
      query: "SELECT Id FROM Account",
    });
    advance(5000);
    const gate = fake.hold(`/jobs/query/${body.id}/results`);
    let answered = false;
    const pending = api.call("GET", `${V}/jobs/query/${body.id}/results?maxRecords=10`).then((r) => {
      answered = true;
      return r;
    });
    await gate.arrived;
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false);
    gate.release();
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("sforce-numberofrecords"), "10");
  });

  test("latency knobs delay every call and every results chunk (lower bounds only)", async () => {
    const { body } = await api.json<Json>("POST", `${V}/jobs/query`, {
      operation: "query",
      query: "SELECT Id FROM Account",
    });
    advance(5000);
    fake.configure({ latencyMs: 120 });
    let started = performance.now();
    await api.call("GET", `${V}/jobs/query/${body.id}`);
    assert.ok(performance.now() - started >= 115, "per-call latency");
    fake.configure({ latencyMs: 0, chunkLatencyMs: 150 });
    started = performance.now();
    await (await api.call("GET", `${V}/jobs/query/${body.id}/results?maxRecords=5`)).text();
    assert.ok(performance.now() - started >= 145, "per-chunk latency");
    fake.configure({ chunkLatencyMs: 0 });
  });

  test("a query job can be aborted once, and an injected failure ends it Failed", async () => {
    const { body } = await api.json<Json>("POST", `${V}/jobs/query`, {
      operation: "query",
      query: "SELECT Id FROM Account",
    });
    const aborted = await api.json<Json>("PATCH", `${V}/jobs/query/${body.id}`, { state: "Aborted" });
    assert.equal(aborted.body.state, "Aborted");
    const twice = await api.json<Json[]>("PATCH", `${V}/jobs/query/${body.id}`, { state: "Aborted" });
    assert.equal(twice.status, 400);
    assert.equal(twice.body[0]!.errorCode, "INVALIDJOBSTATE");

    fake.failNextQueryJob("InternalServerError : retry later");
    const failing = await api.json<Json>("POST", `${V}/jobs/query`, {
      operation: "query",
      query: "SELECT Id FROM Account",
    });
    advance(1000);
    const info = await state("query", String(failing.body.id));
    assert.equal(info.state, "Failed");
    assert.equal(info.errorMessage, "InternalServerError : retry later");
    const bad = await api.json<Json[]>("POST", `${V}/jobs/query`, {
      operation: "query",
      query: "SELECT Nope FROM Account",
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body[0]!.errorCode, "INVALID_FIELD");
  });

  test("an ingest job writes the good rows and reports failed ones with sf__Error", async () => {
    fake.addValidationRule({
      object: "Contact",
      field: "LastName",
      equals: "Reject",
      message: "Last name Reject is not allowed",
    });
    const job = await api.json<Json>("POST", `${V}/jobs/ingest`, {
      object: "Contact",
      operation: "insert",
      contentType: "CSV",
    });
    assert.equal(job.body.state, "Open");
    assert.equal(job.body.contentUrl, `services/data/v62.0/jobs/ingest/${job.body.id}/batches`);
    const csv =
      'FirstName,LastName,Email\nAda,Lovelace,ada@example.com\nNo,,x@example.com\n"Quoted, Name",Reject,r@example.com\n';
    const up = await api.call("PUT", `${V}/jobs/ingest/${job.body.id}/batches`, csv);
    assert.equal(up.status, 201);
    const closed = await api.json<Json>("PATCH", `${V}/jobs/ingest/${job.body.id}`, {
      state: "UploadComplete",
    });
    assert.equal(closed.body.state, "UploadComplete");
    assert.equal(fake.records("Contact").length, 0);
    advance(1000);
    assert.equal((await state("ingest", String(job.body.id))).state, "InProgress");
    advance(2000);
    const info = await state("ingest", String(job.body.id));
    assert.equal(info.state, "JobComplete");
    assert.equal(info.numberRecordsProcessed, 3);
    assert.equal(info.numberRecordsFailed, 2);

    const ok = await (await api.call("GET", `${V}/jobs/ingest/${job.body.id}/successfulResults`)).text();
    const [okHeader, okRow] = ok.trim().split("\n");
    assert.equal(okHeader, '"sf__Id","sf__Created","FirstName","LastName","Email"');
    assert.match(okRow!, /^"003\w{15}","true","Ada","Lovelace","ada@example.com"$/);
    const failed = (await (await api.call("GET", `${V}/jobs/ingest/${job.body.id}/failedResults`)).text())
      .trim()
      .split("\n");
    assert.equal(failed[0], '"sf__Id","sf__Error","FirstName","LastName","Email"');
    assert.equal(
      failed[1],
      '"","REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --","No","","x@example.com"',
    );
    assert.equal(
      failed[2],
      '"","FIELD_CUSTOM_VALIDATION_EXCEPTION:Last name Reject is not allowed:LastName --","Quoted, Name","Reject","r@example.com"',
    );
    assert.deepEqual(
      fake.records("Contact").map((r) => r.LastName),
      ["Lovelace"],
    );
  });

  test("an aborted or failed ingest job writes nothing and lists its rows as unprocessed", async () => {
    const job = await api.json<Json>("POST", `${V}/jobs/ingest`, { object: "Account", operation: "insert" });
    await api.call("PUT", `${V}/jobs/ingest/${job.body.id}/batches`, "Name\nA1\nA2\n");
    await api.json("PATCH", `${V}/jobs/ingest/${job.body.id}`, { state: "UploadComplete" });
    const aborted = await api.json<Json>("PATCH", `${V}/jobs/ingest/${job.body.id}`, { state: "Aborted" });
    assert.equal(aborted.body.state, "Aborted");
    advance(10_000);
    assert.equal((await state("ingest", String(job.body.id))).state, "Aborted");
    assert.equal(
      await (await api.call("GET", `${V}/jobs/ingest/${job.body.id}/unprocessedrecords`)).text(),
      '"Name"\n"A1"\n"A2"\n',
    );
    assert.equal(fake.records("Account").length, 250);

    fake.failNextIngestJob("InvalidBatch : Failed to process query");
    const f = await api.json<Json>("POST", `${V}/jobs/ingest`, { object: "Account", operation: "insert" });
    await api.call("PUT", `${V}/jobs/ingest/${f.body.id}/batches`, "Name\nB1\n");
    await api.json("PATCH", `${V}/jobs/ingest/${f.body.id}`, { state: "UploadComplete" });
    advance(3000);
    const info = await state("ingest", String(f.body.id));
    assert.equal(info.state, "Failed");
    assert.equal(info.errorMessage, "InvalidBatch : Failed to process query");
    assert.equal(
      await (await api.call("GET", `${V}/jobs/ingest/${f.body.id}/unprocessedrecords`)).text(),
      '"Name"\n"B1"\n',
    );
    assert.equal(fake.records("Account").length, 250);
    const late = await api.json<Json[]>("PUT", `${V}/jobs/ingest/${f.body.id}/batches`, "Name\nC1\n");
    assert.equal(late.status, 400);
    assert.equal(late.body[0]!.errorCode, "INVALIDJOBSTATE");
  });
});

/**
 * Exactly once across a crash in the middle of an event batch: a real `sluice serve` process with an
 * active AccountChangeEvent → S3 (s3rver) flow is SIGKILLed while its batch's S3 PutObject is held by
 * a proxy — once before S3 has the object, once after S3 wrote it but before the process heard back
 * (so the run could not end). After a restart the batch is resumed under the same run and every change
 * is in S3 exactly once (an extra object of the lost attempt is removed); each run's counts equal the
 * records in its objects. On two PostgreSQL nodes,
 * the survivor takes the dead node's flow and its batch run over (its reaper must not end that run).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DescribeFlowCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { startS3rver } from "../connectors/s3rver-fixture.ts";
import { type FakeSalesforce, startFakeSalesforce } from "../fakes/salesforce/server.ts";
import { dropSchema } from "../helpers/backends.ts";
import { createEventFlow, eventRuns, makeChanges } from "../helpers/event-flows.ts";
import { type ServerProcess, spawnServer } from "../helpers/process.ts";
import { startS3Gate } from "../helpers/s3-gate.ts";
import { cleanup, PG_URL, waitFor } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-sfev-crash-"));
const cleanups: (() => Promise<void>)[] = [];
/** Each test's servers are stopped when it ends (a file-level after() waits for an idle event loop on Node 20). */
async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
}
after(() => cleanup(dir));

/** Every object under s3://out/events/ with its JSON Lines records. */
async function objects(s3: S3Client): Promise<{ key: string; records: Record<string, unknown>[] }[]> {
  const list = await s3.send(new ListObjectsV2Command({ Bucket: "out", Prefix: "events/" }));
  const out = [];
  for (const o of list.Contents ?? []) {
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: "out", Key: o.Key! }))
    ).Body!.transformToString();
    const records = body
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    out.push({ key: o.Key!, records });
  }
  return out;
}

/** s3rver (bucket "out") behind a gate; the S3 client reads s3rver directly. */
async function s3Behind(name: string) {
  const s3rver = await startS3rver(join(dir, name));
  cleanups.push(() => s3rver.close());
  const gate = await startS3Gate(s3rver.endpoint);
  cleanups.push(() => gate.close());
  const s3 = new S3Client({
    endpoint: s3rver.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  cleanups.push(async () => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: "out" }));
  return { s3, gate };
}

const s3Env = (gate: { endpoint: string }) => ({
  SLUICE_S3_ENDPOINT: gate.endpoint,
  SLUICE_S3_ACCESS_KEY_ID: "S3RVER",
  SLUICE_S3_SECRET_ACCESS_KEY: "S3RVER",
});

/** Waits until S3 holds every change in `made` and every run ended Successful; checks once each and the counts. */
async function deliveredOnce(
  s3: S3Client,
  server: ServerProcess,
  made: { replayId: number; name: string }[],
  heldRun: string,
  what: string,
): Promise<void> {
  const want = made.map((m) => m.replayId).sort((a, b) => a - b);
  await waitFor(async () => {
    const got = (await objects(s3)).flatMap((o) => o.records.map((r) => Number(r.ReplayId)));
    return got.length >= want.length && want.every((id) => got.includes(id));
  }, `${what}: every change in S3`);
  const runs = await waitFor(async () => {
    const r = await eventRuns(server.client, "ev");
    return r.every((x) => x.executionStatus === "Successful") && r;
  }, `${what}: every batch run Successful`);
  const all = await objects(s3);
  const got = all.flatMap((o) => o.records.map((r) => Number(r.ReplayId))).sort((a, b) => a - b);
  assert.deepEqual(got, want, `${what}: each change exactly once`);
  const names = all.flatMap((o) => o.records.map((r) => String(r.Name))).sort();
  assert.deepEqual(names, made.map((m) => m.name).sort(), `${what}: the changes' contents`);
  const resumed = runs.find((r) => r.executionId === heldRun);
  assert.equal(resumed?.executionStatus, "Successful", "the interrupted batch's own run finished it");
  for (const r of runs) {
    const inS3 = all.filter((o) => o.key.includes(r.executionId!)).reduce((n, o) => n + o.records.length, 0);
    assert.equal(r.executionResult?.recordsProcessed, inS3, `run ${r.executionId}: counts = S3`);
  }
}

/** A held request that never comes fails the test instead of hanging it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const isBatchPut = (method: string, url: string) =>
  method === "PUT" && url.startsWith("/out/events/ev/") && !url.includes("uploadId=");

test("an event batch interrupted by SIGKILL before or after its S3 commit is delivered exactly once after a restart", async (t) => {
  t.after(cleanUp);
  const fake: FakeSalesforce = await startFakeSalesforce({
    records: { Account: 0, Contact: 0, Opportunity: 0 },
    cometdTimeoutMs: 2_000,
  });
  cleanups.push(() => fake.stop());
  const { s3, gate } = await s3Behind("s3rver");
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const env = {
    SLUICE_DATA_DIR: dataDir,
    ...s3Env(gate),
    SLUICE_LEASE_MS: "2000",
    SLUICE_HEARTBEAT_MS: "200",
    SLUICE_REAP_INTERVAL_MS: "500",
    SLUICE_SALESFORCE_EVENT_BATCH_EVENTS: "100",
    SLUICE_SALESFORCE_EVENT_BATCH_MS: "300",
  };
  let subscribed = 0;
  const onLine = (l: string) => {
    if (l.includes("subscribed to the change event channel")) subscribed++;
  };
  let server: ServerProcess = await spawnServer([], env, onLine);
  cleanups.push(() => server.kill("SIGKILL"));
  await createEventFlow(server.client, fake, dataDir, "ev");
  await server.client.send(new StartFlowCommand({ flowName: "ev" }));
  await waitFor(async () => subscribed >= 1, "the subscription");

  const made: { replayId: number; name: string }[] = [];
  // "before" first: no batch has succeeded yet, so no replay id is stored and the resume replays all
  // retained events from the batch's first one.
  for (const phase of ["before", "after"] as const) {
    const held = gate.holdNext(isBatchPut, phase);
    made.push(...makeChanges(fake, 4, phase));
    const put = await within(held, 30_000, "the batch's S3 PutObject");
    const heldRun = /^\/out\/events\/ev\/([^/]+)\//.exec(put.url)?.[1];
    assert.ok(heldRun, put.url);
    const stored = (await objects(s3)).filter((o) => o.key.includes(heldRun));
    assert.equal(stored.length, phase === "after" ? 1 : 0, `${phase}: S3 holds the batch's object or not`);
    const [run] = (await eventRuns(server.client, "ev")).filter((r) => r.executionId === heldRun);
    assert.equal(run?.executionStatus, "InProgress", "the run had not ended when the node died");
    await server.kill("SIGKILL");
    if (phase === "after") {
      // As if the lost attempt had split the batch into two objects (other settings then): the resumed
      // run writes one, and the second must not stay beside it.
      const [first] = stored;
      await s3.send(
        new PutObjectCommand({
          Bucket: "out",
          Key: first!.key.replace("-part-00000.", "-part-00001."),
          Body: first!.records.map((r) => JSON.stringify(r)).join("\n"),
        }),
      );
    }

    made.push(...makeChanges(fake, 2, `${phase}-down`));
    subscribed = 0;
    server = await spawnServer([], env, onLine);
    made.push(...makeChanges(fake, 2, `${phase}-later`));
    await deliveredOnce(s3, server, made, heldRun, phase);
  }
});

test("two PostgreSQL nodes: the survivor resumes the batch of the node SIGKILLed after its S3 commit", {
  skip: await pgSkipReason("postgres"),
}, async (t) => {
  t.after(cleanUp);
  const fake = await startFakeSalesforce({
    records: { Account: 0, Contact: 0, Opportunity: 0 },
    cometdTimeoutMs: 2_000,
  });
  cleanups.push(() => fake.stop());
  const { s3, gate } = await s3Behind("s3rver-pg");
  const dataDir = join(dir, "data-pg");
  mkdirSync(dataDir);
  const schema = `t_${randomUUID().replaceAll("-", "")}`;
  cleanups.push(() => dropSchema(schema));
  const env = {
    SLUICE_DATA_DIR: dataDir,
    SLUICE_DATABASE_URL: PG_URL,
    SLUICE_PG_SCHEMA: schema,
    ...s3Env(gate),
    SLUICE_LEASE_MS: "2000",
    SLUICE_HEARTBEAT_MS: "200",
    SLUICE_REAP_INTERVAL_MS: "300",
    SLUICE_SALESFORCE_EVENT_BATCH_EVENTS: "100",
    SLUICE_SALESFORCE_EVENT_BATCH_MS: "300",
  };
  const holder: string[] = [];
  const node = async (name: string) => {
    const p = await spawnServer([], env, (l) => {
      if (l.includes("subscribed to the change event channel")) holder.push(name);
    });
    cleanups.push(() => p.kill("SIGKILL"));
    return p;
  };
  const nodes = { a: await node("a"), b: await node("b") };
  await createEventFlow(nodes.a.client, fake, dataDir, "ev");
  await nodes.a.client.send(new StartFlowCommand({ flowName: "ev" }));
  await waitFor(async () => holder.length > 0, "a subscriber on one node");
  const dying = holder[0] as "a" | "b";
  const other = dying === "a" ? "b" : "a";
  const survivor = nodes[other];
  const held = gate.holdNext(isBatchPut, "after");
  const made = makeChanges(fake, 4, "pg");
  const put = await within(held, 30_000, "the batch's S3 PutObject");
  const heldRun = /^\/out\/events\/ev\/([^/]+)\//.exec(put.url)?.[1];
  assert.ok(heldRun, put.url);
  assert.equal((await objects(s3)).length, 1, "S3 has the batch's object");
  await nodes[dying].kill("SIGKILL");
  // The survivor's reaper runs every 300 ms: the dead node's batch run must wait for the takeover.
  made.push(...makeChanges(fake, 3, "pg-after"));
  await waitFor(async () => holder.includes(other), "the survivor taking the flow over", 30_000);
  await deliveredOnce(s3, survivor, made, heldRun, "after the takeover");
});

test("an interrupted batch whose events expired while the node was down stops the flow, saying why", async (t) => {
  t.after(cleanUp);
  const fake = await startFakeSalesforce({
    records: { Account: 0, Contact: 0, Opportunity: 0 },
    cometdTimeoutMs: 2_000,
  });
  cleanups.push(() => fake.stop());
  const { s3, gate } = await s3Behind("s3rver-lost");
  const dataDir = join(dir, "data-lost");
  mkdirSync(dataDir);
  const env = {
    SLUICE_DATA_DIR: dataDir,
    ...s3Env(gate),
    SLUICE_LEASE_MS: "2000",
    SLUICE_REAP_INTERVAL_MS: "300",
    SLUICE_HEARTBEAT_MS: "200",
    SLUICE_SALESFORCE_EVENT_BATCH_EVENTS: "100",
    SLUICE_SALESFORCE_EVENT_BATCH_MS: "300",
  };
  let subscribed = 0;
  let server = await spawnServer([], env, (l) => {
    if (l.includes("subscribed to the change event channel")) subscribed++;
  });
  cleanups.push(() => server.kill("SIGKILL"));
  await createEventFlow(server.client, fake, dataDir, "ev");
  await server.client.send(new StartFlowCommand({ flowName: "ev" }));
  await waitFor(async () => subscribed >= 1, "the subscription");
  const held = gate.holdNext(isBatchPut, "after");
  makeChanges(fake, 3, "gone");
  const put = await within(held, 30_000, "the batch's S3 PutObject");
  const heldRun = /^\/out\/events\/ev\/([^/]+)\//.exec(put.url)?.[1];
  await server.kill("SIGKILL");
  makeChanges(fake, 2, "kept");
  fake.expireEvents(2); // the batch's events leave retention; the two made since stay
  server = await spawnServer([], env);
  const flow = await waitFor(async () => {
    const d = await server.client.send(new DescribeFlowCommand({ flowName: "ev" }));
    return d.flowStatus === "Errored" && d;
  }, "the flow Errored");
  assert.match(flow.flowStatusMessage ?? "", /interrupted batch .* no longer retained by Salesforce/);
  // Its run is ended by the reaper (the flow is no longer Active); what the lost attempt wrote stays.
  const run = await waitFor(async () => {
    const r = (await eventRuns(server.client, "ev")).find((x) => x.executionId === heldRun);
    return r?.executionStatus === "Error" && r;
  }, "the interrupted run ended");
  assert.ok(run);
  assert.equal((await objects(s3)).filter((o) => o.key.includes(heldRun!)).length, 1);
});

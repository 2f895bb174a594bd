/**
 * The fast path end to end, through a real server: S3 CSV objects (one large enough for the chunk
 * pool, one small with another header) into S3 JSON lines, CSV and Parquet. The same flow run with two
 * transcoding threads, in the run's thread alone, and on the general path (the same tasks plus a
 * Validate, which needs values) must write the same objects and report the same counts.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Task } from "@aws-sdk/client-appflow";
import { CreateFlowCommand, StartFlowCommand } from "@aws-sdk/client-appflow";
import { parquetReadObjects } from "hyparquet";
import {
  COLUMNS,
  copyTasks,
  csvSource,
  isTerminal,
  listLocalObjects,
  makeBucket,
  waitForRun,
} from "../helpers/flows.ts";
import { appflowClient, startTestServer, type TestServer } from "../helpers/server.ts";

const TRICKY = [
  'a "quoted" word',
  "line\nbreak",
  "comma, here",
  " padded ",
  "tab\there",
  "back\\slash",
  "é😀",
  "",
];

/** ~11 MB: past the size the pool takes an object at (8 chunks of 1 MiB). */
function bigCsv(rows: number): string {
  const lines = [COLUMNS.join(",")];
  for (let i = 1; i <= rows; i++) {
    const t = TRICKY[i % TRICKY.length]!;
    const note = `"${t.replaceAll('"', '""')} ${i}"`;
    const end = i % 5 === 0 ? "\r" : "";
    lines.push(
      `${i},name ${i},user${i}@example.com,${(i % 1000) + 0.5},${i % 7},City ${i % 50},Country ${i % 9},` +
        `${i % 2 ? "active" : ""},2024-01-${String((i % 28) + 1).padStart(2, "0")},${note}${end}`,
    );
  }
  return `\ufeff${lines.join("\n")}\n`;
}

/** deepEqual, but a difference is shown where it is, not as two whole files. */
function sameContent(a: unknown[], b: unknown[]): void {
  assert.equal(a.length, b.length, "objects");
  a.forEach((x, i) => {
    const [sa, sb] = [JSON.stringify(x), JSON.stringify(b[i])];
    if (sa === sb) return;
    let at = 0;
    while (sa[at] === sb[at]) at++;
    assert.fail(
      `object ${i} differs at ${at}: ${sa.slice(at - 80, at + 80)}\n  vs ${sb.slice(at - 80, at + 80)}`,
    );
  });
}

const validate: Task = {
  taskType: "Validate",
  sourceFields: ["id"],
  connectorOperator: { S3: "VALIDATE_NON_NULL" },
  taskProperties: { VALIDATION_ACTION: "DropRecord" },
};

describe("the fast path: S3 CSV → S3, parallel, serial and general alike", () => {
  let parallel: TestServer;
  let serial: TestServer;
  const input = bigCsv(120_000);
  // A second object: other columns in another order, one missing, one extra.
  const small = `note,id,extra,email\n"x, y",1,e,a@b.c\nz,2,,d@e.f\n`;
  before(async () => {
    parallel = await startTestServer("sqlite", { engine: { parseThreads: 2 } });
    serial = await startTestServer("sqlite", { engine: { parseThreads: 0 } });
    for (const s of [parallel, serial]) {
      mkdirSync(join(s.dataDir, "s3", "src", "in"), { recursive: true });
      writeFileSync(join(s.dataDir, "s3", "src", "in", "a.csv"), input);
      writeFileSync(join(s.dataDir, "s3", "src", "in", "b.csv"), small);
      makeBucket(s.dataDir, "dst");
    }
  });
  after(async () => {
    await parallel?.close();
    await serial?.close();
  });

  async function run(
    server: TestServer,
    name: string,
    fileType: string,
    tasks: Task[],
    aggregationType: "SingleFile" | "None" = "SingleFile",
  ) {
    // A client of its own: the server closes a keep-alive connection idle for 5 s (while the other
    // server runs), and these clients don't retry.
    const client = appflowClient(server.sluice.url);
    const s = { ...server, client };
    await s.client.send(
      new CreateFlowCommand({
        flowName: name,
        triggerConfig: { triggerType: "OnDemand" },
        sourceFlowConfig: csvSource("src", "in"),
        destinationFlowConfigList: [
          {
            connectorType: "S3",
            destinationConnectorProperties: {
              S3: {
                bucketName: "dst",
                s3OutputFormatConfig: {
                  fileType: fileType as "CSV",
                  aggregationConfig: { aggregationType },
                },
              },
            },
          },
        ],
        tasks,
      }),
    );
    const id = (await s.client.send(new StartFlowCommand({ flowName: name }))).executionId!;
    const rec = await waitForRun(s.client, name, id, isTerminal, "the run", 120_000);
    assert.equal(rec.executionStatus, "Successful", rec.executionResult?.errorInfo?.executionMessage ?? "");
    const keys = listLocalObjects(s.dataDir, "dst").filter((k) => k.startsWith(`${name}/`));
    const files = keys.map((k) => readFileSync(join(s.dataDir, "s3", "dst", k)));
    client.destroy();
    return { rec, files };
  }

  const content = async (fileType: string, files: Buffer[]) =>
    fileType === "PARQUET"
      ? await Promise.all(
          files.map((f) =>
            parquetReadObjects({
              file: f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) as ArrayBuffer,
            }),
          ),
        )
      : files.map((f) => f.toString("utf8"));

  for (const fileType of ["JSON", "CSV", "PARQUET"]) {
    test(`→ ${fileType}: the same objects and counts`, async () => {
      const tasks = copyTasks();
      const p = await run(parallel, `p-${fileType}`, fileType, tasks);
      const s = await run(serial, `s-${fileType}`, fileType, tasks);
      const g = await run(serial, `g-${fileType}`, fileType, [...tasks, validate]);
      const r = p.rec.executionResult!;
      assert.equal(r.recordsProcessed, 120_002);
      assert.equal(r.bytesProcessed, Buffer.byteLength(input) + Buffer.byteLength(small));
      assert.equal(r.numParallelProcesses, 2, "two transcoding threads");
      assert.equal(s.rec.executionResult?.numParallelProcesses, 1);
      for (const other of [s, g]) {
        const o = other.rec.executionResult!;
        assert.equal(o.recordsProcessed, r.recordsProcessed);
        assert.equal(o.bytesProcessed, r.bytesProcessed);
      }
      // Serial and parallel: the same bytes.
      assert.equal(s.rec.executionResult?.bytesWritten, r.bytesWritten);
      sameContent(await content(fileType, s.files), await content(fileType, p.files));
      // The general path reads several objects at once, so its records of the two objects interleave:
      // the same records, in another order.
      const sorted = async (files: Buffer[]) =>
        (await content(fileType, files)).map((c) =>
          (typeof c === "string" ? c.split("\n") : (c as unknown[]).map((row) => JSON.stringify(row))).sort(),
        );
      sameContent(await sorted(g.files), await sorted(p.files));
      // The second object's fields are projected onto the same columns: one output object.
      assert.equal(p.files.length, 1);
      if (fileType === "JSON") {
        const first = JSON.parse(p.files[0]!.toString().split("\n")[4]!) as Record<string, string>;
        assert.equal(first.note, `${TRICKY[5 % TRICKY.length]} 5`);
      }
    });
  }

  test("aggregation None: an object per batch of SLUICE_BATCH_ROWS records, as on the general path", async () => {
    const p = await run(parallel, "p-none", "JSON", copyTasks(), "None");
    const s = await run(serial, "s-none", "JSON", copyTasks(), "None");
    const g = await run(serial, "g-none", "JSON", [...copyTasks(), validate], "None");
    // 120,000 + 2 records in batches of 5,000 from each object's start: 24 + 1 objects.
    assert.equal(p.files.length, 25);
    const objects = (files: Buffer[]) => files.map((f) => f.toString()).sort();
    assert.deepEqual(objects(s.files), objects(p.files));
    assert.deepEqual(objects(g.files), objects(p.files));
    for (const other of [s, g])
      assert.equal(other.rec.executionResult?.bytesProcessed, p.rec.executionResult?.bytesProcessed);
  });

  for (const [what, tail, expected] of [
    [
      "a record with too few fields",
      "1,2,3\n",
      /CSV s3:\/\/src\/in\/a\.csv: row 120002 has 3 fields but the header has 10/,
    ],
    [
      "a quoted field the object ends in",
      '1,"open\n2,3\n',
      /CSV s3:\/\/src\/in\/a\.csv, row 120002: unterminated quoted field/,
    ],
  ] as const)
    test(`${what} ends the run Error with the general path's message`, async () => {
      const bad = `${input.slice(0, -1)}\n${tail}`;
      const messages: string[] = [];
      for (const server of [parallel, serial]) {
        const s = { ...server, client: appflowClient(server.sluice.url) };
        writeFileSync(join(s.dataDir, "s3", "src", "in", "a.csv"), bad);
        for (const [name, tasks] of [
          [`bad-${what.length}-${messages.length}`, copyTasks()],
          [`bad-g-${what.length}-${messages.length}`, [...copyTasks(), validate]],
        ] as [string, Task[]][]) {
          await s.client.send(
            new CreateFlowCommand({
              flowName: name,
              triggerConfig: { triggerType: "OnDemand" },
              sourceFlowConfig: csvSource("src", "in"),
              destinationFlowConfigList: [
                {
                  connectorType: "S3",
                  destinationConnectorProperties: {
                    S3: { bucketName: "dst", s3OutputFormatConfig: { fileType: "JSON" } },
                  },
                },
              ],
              tasks,
            }),
          );
          const id = (await s.client.send(new StartFlowCommand({ flowName: name }))).executionId!;
          const rec = await waitForRun(s.client, name, id, isTerminal, "the run", 120_000);
          assert.equal(rec.executionStatus, "Error");
          messages.push(rec.executionResult?.errorInfo?.executionMessage ?? "");
        }
        s.client.destroy();
      }
      assert.match(messages[0]!, expected);
      assert.deepEqual(new Set(messages).size, 1, messages.join(" | "));
    });
});

/**
 * The byte transcoder against the general path: random CSV (quotes, escapes, line breaks in fields,
 * CRLF, blank lines, non-ASCII, control characters), cut into chunks at record boundaries, must come out
 * byte for byte as readCsv → tasks → the format's own encoder writes it, for every EncodedFormat.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { copyText } from "../../src/connectors/redshift/copy-batch.ts";
import type { EncodedFormat, FieldValue } from "../../src/connectors/types.ts";
import type { Task } from "../../src/domain/flow.ts";
import { readCsv } from "../../src/formats/csv-reader.ts";
import { CsvEncoder } from "../../src/formats/csv-writer.ts";
import { JsonLinesEncoder } from "../../src/formats/jsonl-writer.ts";
import { stagedField } from "../../src/formats/staged-field.ts";
import { ChunkRecordError, csvTranscoder } from "../../src/formats/transcode/csv-transcode.ts";
import { buildBytePlan } from "../../src/tasks/byte-plan.ts";
import { compileSpec } from "../../src/tasks/compile-spec.ts";
import { compileTasks } from "../../src/tasks/index.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ["a", "b", "xyz", " ", ",", '"', "\n", "\r", "\t", "\\", "é", "😀", "\u0001", "\b", "\f", "0"];

function randomCsv(r: () => number, width: number, rows: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const value = (): string => {
    if (r() < 0.15) return "";
    let v = "";
    const n = 1 + Math.floor(r() * 6);
    for (let i = 0; i < n; i++) v += r() < 0.7 ? pick(["a", "bc", "Dé", "12"]) : pick(PIECES);
    return v;
  };
  const field = (v: string): string => {
    const must = /[",\n\r]/.test(v);
    return must || r() < 0.2 ? `"${v.replaceAll('"', '""')}"` : v;
  };
  // An unquoted field can't start with a quote, nor hold a comma or line break.
  const header = Array.from({ length: width }, (_, i) => `c${i}`).join(",");
  let text = `${header}\n`;
  for (let i = 0; i < rows; i++) {
    if (r() < 0.05) text += pick(["\n", "\r\n"]);
    const row = Array.from({ length: width }, () => field(value()));
    // An unquoted value ending in CR would lose it to the CRLF rule; that case is covered apart.
    text += row.map((f) => (f.endsWith("\r") ? `"${f}"` : f)).join(",");
    text += i === rows - 1 && r() < 0.5 ? "" : pick(["\n", "\r\n"]);
  }
  return text;
}

/** Cuts the body at random record boundaries (a line end outside quotes). */
function chunks(body: Buffer, r: () => number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === 0x22) inQuotes = !inQuotes;
    else if (body[i] === 0x0a && !inQuotes && r() < 0.1) {
      out.push(body.subarray(start, i + 1));
      start = i + 1;
    }
  }
  out.push(body.subarray(start));
  return out;
}

async function general(csv: string, tasks: Task[], format: EncodedFormat): Promise<Buffer> {
  const compiled = compileTasks(tasks);
  const parts: Buffer[] = [];
  const sink = { write: (c: Buffer) => parts.push(c) };
  const jsonl = new JsonLinesEncoder(sink);
  for await (const b of readCsv([Buffer.from(csv)], 7)) {
    const { batch } = compiled.apply(b);
    const rows = batch.rows;
    switch (format) {
      case "jsonl":
        await jsonl.write(batch.fields, rows);
        break;
      case "csv": {
        const enc = new CsvEncoder(sink);
        await enc.write(batch.fields, rows);
        // Drop the header line each new encoder writes.
        const last = parts.pop()!;
        const header = `${(await headerLine(batch.fields)).toString()}`;
        parts.push(last.subarray(Buffer.byteLength(header)));
        break;
      }
      case "copy-text":
        parts.push(Buffer.from(copyText(rows)));
        break;
      case "staging-csv":
        parts.push(Buffer.from(rows.map((row) => `${row.map(staged).join(",")}\n`).join("")));
        break;
    }
  }
  return Buffer.concat(parts);
}

const staged = (v: FieldValue): string => (v === null ? "" : stagedField(String(v)));

async function headerLine(fields: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  await new CsvEncoder({ write: (c) => parts.push(c) }).write(fields, []);
  return Buffer.concat(parts);
}

function fast(csv: string, tasks: Task[], format: EncodedFormat, r: () => number): Buffer {
  const bytes = Buffer.from(csv);
  const lf = bytes.indexOf(0x0a);
  const fields = bytes.subarray(0, lf).toString().replace(/\r$/, "").split(",");
  const plan = buildBytePlan(compileSpec(tasks), fields);
  assert.ok(plan, "the task list runs on bytes");
  const transcode = csvTranscoder(plan, fields.length, format);
  return Buffer.concat(chunks(bytes.subarray(lf + 1), r).map((c) => transcode(c).data));
}

const map = (from: string, to = from): Task => ({
  taskType: "Map",
  sourceFields: [from],
  connectorOperator: { S3: "NO_OP" },
  destinationField: to,
  taskProperties: { SOURCE_DATA_TYPE: "string", DESTINATION_DATA_TYPE: "string" },
});

const TASK_LISTS: Record<string, Task[]> = {
  "no tasks (every field passes)": [],
  "projection + Maps renaming and reordering, a missing field": [
    { taskType: "Filter", sourceFields: ["c0", "c2", "c3", "nope"], connectorOperator: { S3: "PROJECTION" } },
    map("c3", "third"),
    map("c0"),
    map("nope", "missing"),
    map("c2", "two"),
  ],
  "Mask LAST_N and Truncate, then Map_all": [
    {
      taskType: "Mask",
      sourceFields: ["c1"],
      connectorOperator: { S3: "MASK_LAST_N" },
      taskProperties: { MASK_LENGTH: "2", MASK_VALUE: "*" },
    },
    {
      taskType: "Truncate",
      sourceFields: ["c2"],
      connectorOperator: { S3: "NO_OP" },
      taskProperties: { TRUNCATE_LENGTH: "3" },
    },
    { taskType: "Map_all", sourceFields: [], connectorOperator: { S3: "NO_OP" } },
  ],
  "Mask FIRST_N and MASK_ALL (a non-ASCII mask), on bytes where the value is ASCII": [
    {
      taskType: "Mask",
      sourceFields: ["c0"],
      connectorOperator: { S3: "MASK_FIRST_N" },
      taskProperties: { MASK_LENGTH: "3", MASK_VALUE: "#" },
    },
    {
      taskType: "Mask",
      sourceFields: ["c3"],
      connectorOperator: { S3: "MASK_ALL" },
      taskProperties: { MASK_VALUE: "é" },
    },
    { taskType: "Map_all", sourceFields: [], connectorOperator: { S3: "NO_OP" } },
  ],
  "one column": [map("c1")],
  "Maps keeping fields in their order, the first and last dropped, a Truncate on one": [
    { taskType: "Filter", sourceFields: ["c1", "c2"], connectorOperator: { S3: "PROJECTION" } },
    {
      taskType: "Truncate",
      sourceFields: ["c2"],
      connectorOperator: { S3: "NO_OP" },
      taskProperties: { TRUNCATE_LENGTH: "2" },
    },
    map("c1", "one"),
    map("c2", "two"),
  ],
  "Maps taking one field into two columns and dropping others, a Mask on a moved column": [
    { taskType: "Filter", sourceFields: ["c3", "c1"], connectorOperator: { S3: "PROJECTION" } },
    {
      taskType: "Mask",
      sourceFields: ["c3"],
      connectorOperator: { S3: "MASK_FIRST_N" },
      taskProperties: { MASK_LENGTH: "2", MASK_VALUE: "#" },
    },
    map("c3", "masked"),
    map("c1", "one"),
    map("c1", "again"),
  ],
};

describe("CSV transcoder: byte for byte the general path", () => {
  for (const format of ["jsonl", "csv", "copy-text", "staging-csv"] as const) {
    for (const [name, tasks] of Object.entries(TASK_LISTS)) {
      it(`${format}: ${name}`, async () => {
        for (let seed = 1; seed <= 40; seed++) {
          const r = rng(seed * 7919 + format.length);
          const csv = randomCsv(r, 4, 1 + Math.floor(r() * 60));
          const want = await general(csv, tasks, format);
          const got = fast(csv, tasks, format, r);
          assert.equal(
            got.toString("latin1"),
            want.toString("latin1"),
            `seed ${seed}: ${JSON.stringify(csv)}`,
          );
        }
      });
    }
  }

  it("an unquoted value's trailing CR before a line end is part of the line end, elsewhere it is data", async () => {
    const csv = "a,b\r\nx\r,y\r\n\r\r,z\n";
    for (const format of ["jsonl", "copy-text"] as const)
      assert.equal(fast(csv, [], format, () => 1).toString(), (await general(csv, [], format)).toString());
  });

  it("a record whose output outgrows the output buffer, in every layout", async () => {
    // Fields of bytes the format writes longer (\u0001 as six in JSON, a tab as two in COPY text): more
    // output than the room made for the chunk up front, and than the buffer's size after that.
    for (const format of ["jsonl", "csv", "copy-text", "staging-csv"] as const) {
      const big = (format === "jsonl" ? "\u0001" : "\t").repeat(format === "jsonl" ? 200_000 : 400_000);
      const csv = `c0,c1,c2,c3\nx,y,z,w\n${big},"${'a""b,'.repeat(20_000)}",${big},${big}\np,q,r,s\n`;
      for (const [name, tasks] of Object.entries(TASK_LISTS)) {
        const want = await general(csv, tasks, format);
        const got = fast(csv, tasks, format, () => 1);
        assert.ok(got.equals(want), `${format}: ${name}`);
      }
    }
  });

  it("invalid UTF-8 becomes U+FFFD, as the general reader decodes it", async () => {
    const bytes = Buffer.concat([Buffer.from("a,b\nx"), Buffer.from([0xff, 0xc3]), Buffer.from(",y\n")]);
    const plan = buildBytePlan(compileSpec([]), ["a", "b"])!;
    const got = csvTranscoder(plan, 2, "jsonl")(bytes.subarray(4)).data.toString();
    assert.equal(got, `${JSON.stringify({ a: "x\ufffd\ufffd", b: "y" })}\n`);
  });

  it("refuses what the general reader refuses, numbering the chunk's records", () => {
    const plan = buildBytePlan(compileSpec([]), ["a", "b"])!;
    const t = csvTranscoder(plan, 2, "jsonl");
    const fails = (body: string) => {
      try {
        t(Buffer.from(body));
      } catch (e) {
        assert.ok(e instanceof ChunkRecordError);
        return `${e.record} ${e.kind} ${e.message}`;
      }
      assert.fail(`accepted ${JSON.stringify(body)}`);
    };
    assert.equal(fails("1,2\n\n3,4,5\n"), "2 fields has 3 fields but the header has 2");
    assert.equal(fails("1,2\n3\n"), "2 fields has 1 fields but the header has 2");
    assert.equal(fails('"1"x,2\n'), "1 syntax unexpected character after a closing quote");
    assert.equal(fails('1,2\n"3,4\n'), "2 syntax unterminated quoted field");
  });

  it("refuses a record longer than the limit, counted in characters with its line end", () => {
    const plan = buildBytePlan(compileSpec([]), ["a"])!;
    const t = csvTranscoder(plan, 1, "jsonl", 8);
    // 7 characters (14 bytes) and the line end: within the limit, though longer in bytes.
    assert.equal(t(Buffer.from("ééééééé\nok\n")).records, 2);
    assert.throws(
      () => t(Buffer.from("ok\n12345678\n")),
      (e) => e instanceof ChunkRecordError && e.kind === "too-long" && e.record === 2,
    );
  });

  it("refuses task lists that need the record's values", () => {
    const filter: Task = {
      taskType: "Filter",
      sourceFields: ["a"],
      connectorOperator: { S3: "EQUAL_TO" },
      taskProperties: { VALUE: "1", DATA_TYPE: "string" },
    };
    assert.equal(buildBytePlan(compileSpec([filter, map("a")]), ["a"]), undefined);
  });
});

/**
 * The baselines each Sluice figure is compared with: what a person would write by hand to move the same
 * file, with no service around it — psql's \copy, a readline loop writing JSON lines, and DuckDB's COPY.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { DuckDBInstance } from "@duckdb/node-api";
import { PG_URL } from "../test/helpers/server.ts";

/** `psql -c "\copy <table> FROM '<file>' CSV HEADER"`; resolves with psql's wall time in ms. */
export function psqlCopy(file: string, table: string): Promise<number> {
  const url = new URL(PG_URL);
  const args = [
    "-h",
    url.hostname,
    "-p",
    url.port || "5432",
    "-U",
    url.username || "postgres",
    "-d",
    url.pathname.slice(1) || "test",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `\\copy ${table} FROM '${file.replaceAll("'", "''")}' CSV HEADER`,
  ];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn("psql", args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`psql exited ${code}: ${err}`)),
    );
  });
}

/**
 * Splits one CSV line: `split(",")` when there is no quote, else a minimal quote-aware scan (the
 * generated data quotes one field per line, so a bare split would be wrong). No multi-line fields.
 */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') === -1) return line.split(",");
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

async function eachRow(
  file: string,
  onHeader: (h: string[]) => void,
  onRow: (r: string[]) => Promise<void> | void,
) {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let header: string[] | undefined;
  for await (const line of lines) {
    if (line === "") continue;
    const fields = splitCsvLine(line);
    if (!header) {
      header = fields;
      onHeader(fields);
    } else await onRow(fields);
  }
}

const write = (out: WriteStream, s: string) =>
  out.write(s) ? undefined : new Promise<void>((r) => out.once("drain", () => r()));
const end = (out: WriteStream) =>
  new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));

/** CSV → JSON lines (one object per row, values as strings); returns rows written. */
export async function csvToJsonLines(file: string, outFile: string): Promise<number> {
  const out = createWriteStream(outFile);
  let keys: string[] = [];
  let rows = 0;
  let chunk = "";
  await eachRow(
    file,
    (h) => {
      keys = h.map((k) => `${JSON.stringify(k)}:`);
    },
    async (r) => {
      let line = "{";
      for (let i = 0; i < keys.length; i++)
        line += `${i ? "," : ""}${keys[i]}${JSON.stringify(r[i] ?? null)}`;
      chunk += `${line}}\n`;
      rows++;
      if (chunk.length > 65536) {
        const p = write(out, chunk);
        chunk = "";
        if (p) await p;
      }
    },
  );
  await write(out, chunk);
  await end(out);
  return rows;
}

/**
 * DuckDB (in process, @duckdb/node-api, 2 threads) converting the same CSV file:
 * `COPY (SELECT * FROM read_csv(...)) TO '...' (FORMAT parquet | json)`. DuckDB infers column types from
 * the CSV and writes Snappy Parquet with its own dictionary choices; json is one object per line.
 * Resolves with the COPY's wall time in ms (the instance is created before the clock starts).
 */
export async function duckdbCopy(file: string, outFile: string, format: "parquet" | "json"): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const con = await instance.connect();
  try {
    const t0 = performance.now();
    await con.run(
      `COPY (SELECT * FROM read_csv(${sqlString(file)})) TO ${sqlString(outFile)} (FORMAT ${format})`,
    );
    return performance.now() - t0;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

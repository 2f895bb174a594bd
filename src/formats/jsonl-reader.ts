/**
 * Streaming JSON Lines reader: one JSON object per line, blank lines skipped. Scalars become FieldValue;
 * nested objects and arrays become their JSON text (a record is flat). Field order is the order in which
 * keys are first seen in the file; rows lacking a key hold null there.
 */
import { StringDecoder } from "node:string_decoder";
import type { FieldValue } from "../connectors/types.ts";
import { ConnectorServerError } from "../domain/errors.ts";
import type { ParsedBatch } from "./csv-reader.ts";
import { DEFAULT_MAX_RECORD_MB, MB, recordTooLong } from "./record-limit.ts";

/** A line longer than `maxRecord` characters fails the read (see record-limit.ts). */
export async function* readJsonLines(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  batchRows: number,
  name = "input",
  maxRecord = DEFAULT_MAX_RECORD_MB * MB,
): AsyncGenerator<ParsedBatch> {
  const decoder = new StringDecoder("utf8");
  const fieldIndex = new Map<string, number>();
  const fields: string[] = [];
  let rows: FieldValue[][] = [];
  // The line in progress, as the pieces it arrived in: joined once at its line break, so a long line
  // costs time linear in its length (re-scanning a growing carried-over string made it quadratic).
  let partial: string[] = [];
  let partialLength = 0;
  let lineNo = 0;
  let pendingBytes = 0;

  const parseLine = (line: string): void => {
    lineNo++;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new ConnectorServerError(`JSON ${name}, line ${lineNo}: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ConnectorServerError(`JSON ${name}, line ${lineNo}: expected a JSON object per line`);
    }
    const row: FieldValue[] = new Array(fields.length).fill(null);
    for (const [k, v] of Object.entries(value)) {
      let i = fieldIndex.get(k);
      if (i === undefined) {
        i = fields.length;
        fieldIndex.set(k, i);
        fields.push(k);
      }
      row[i] = toFieldValue(v);
    }
    rows.push(row);
  };
  // Rows parsed before a new key appeared are shorter: pad them so every row aligns with `fields`.
  const take = (): ParsedBatch => {
    const width = fields.length;
    for (const r of rows) while (r.length < width) r.push(null);
    const batch = { fields: [...fields], rows, bytes: pendingBytes };
    rows = [];
    pendingBytes = 0;
    return batch;
  };

  const tooLong = () => recordTooLong(`JSON ${name}, line ${lineNo + 1}`, maxRecord);
  const takeLine = (last: string): string => {
    if (partial.length === 0) return last;
    partial.push(last);
    const line = partial.join("");
    partial = [];
    partialLength = 0;
    return line;
  };

  for await (const chunk of input) {
    pendingBytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      if (partialLength + nl - start > maxRecord) throw tooLong();
      parseLine(takeLine(text.slice(start, nl)));
      start = nl + 1;
      if (rows.length >= batchRows) yield take();
    }
    if (start < text.length) {
      partial.push(text.slice(start));
      partialLength += text.length - start;
      if (partialLength > maxRecord) throw tooLong();
    }
  }
  const last = takeLine(decoder.end());
  if (last.length > maxRecord) throw tooLong();
  if (last) parseLine(last);
  if (rows.length > 0 || pendingBytes > 0) yield take();
}

function toFieldValue(v: unknown): FieldValue {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

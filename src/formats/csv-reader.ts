/**
 * Streaming CSV reader (RFC 4180): the first row is the header (required), `"` quoting with `""`
 * escapes, quoted commas and line breaks, LF or CRLF line ends, a UTF-8 byte order mark is dropped,
 * blank lines are skipped. Every row must have as many fields as the header.
 */
import { StringDecoder } from "node:string_decoder";
import type { FieldValue } from "../connectors/types.ts";
import { ConnectorServerError } from "../domain/errors.ts";
import { CsvRowParser, CsvSyntaxError, RecordTooLongError } from "./csv-parse.ts";
import { DEFAULT_MAX_RECORD_MB, MB, recordTooLong } from "./record-limit.ts";

/** A header row's fields, refused when a column name is empty (also the fast path's check). */
export function checkedHeader(row: string[], name: string): string[] {
  if (row.some((f) => f === ""))
    throw new ConnectorServerError(`CSV ${name}: the header row has an empty column name`);
  return row;
}

export interface ParsedBatch {
  fields: string[];
  rows: FieldValue[][];
  /** Source bytes consumed since the previous batch. */
  bytes: number;
}

/**
 * Yields batches of up to `batchRows` rows; every value is a string (empty fields are ""). A row longer
 * than `maxRecord` characters fails the read (see record-limit.ts).
 */
export async function* readCsv(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  batchRows: number,
  name = "input",
  maxRecord = DEFAULT_MAX_RECORD_MB * MB,
): AsyncGenerator<ParsedBatch> {
  const decoder = new StringDecoder("utf8");
  let fields: string[] | undefined;
  let rows: string[][] = [];
  let rowNo = 0;
  let pendingBytes = 0;
  let first = true;
  const ready: ParsedBatch[] = [];

  const onRow = (row: string[]): void => {
    rowNo++;
    if (!fields) {
      fields = checkedHeader(row, name);
      return;
    }
    if (row.length !== fields.length) {
      throw new ConnectorServerError(
        `CSV ${name}: row ${rowNo} has ${row.length} fields but the header has ${fields.length}`,
      );
    }
    rows.push(row);
    if (rows.length >= batchRows) {
      ready.push({ fields, rows, bytes: pendingBytes });
      pendingBytes = 0;
      rows = [];
    }
  };
  const parser = new CsvRowParser(onRow, maxRecord);
  const feed = (text: string, final: boolean): void => {
    let s = text;
    if (first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    try {
      parser.push(s);
      if (final) parser.end();
    } catch (e) {
      if (e instanceof CsvSyntaxError)
        throw new ConnectorServerError(`CSV ${name}, row ${rowNo + 1}: ${e.message}`);
      if (e instanceof RecordTooLongError) throw recordTooLong(`CSV ${name}, row ${rowNo + 1}`, maxRecord);
      throw e;
    }
  };

  for await (const chunk of input) {
    if (typeof chunk === "string") {
      pendingBytes += Buffer.byteLength(chunk);
      feed(chunk, false);
    } else {
      pendingBytes += chunk.length;
      feed(decoder.write(chunk), false);
    }
    while (ready.length > 0) yield ready.shift()!;
  }
  feed(decoder.end(), true);
  while (ready.length > 0) yield ready.shift()!;
  if (fields && (rows.length > 0 || pendingBytes > 0)) yield { fields, rows, bytes: pendingBytes };
}

/**
 * CSV writer: a header row, then one line per record, "\n" line ends. A field is quoted (RFC 4180, `"`
 * doubled inside) only when it holds a comma, a quote, a line break or leading/trailing space;
 * null is written as an empty field.
 */
import type { FieldValue } from "../connectors/types.ts";
import type { ByteSink, RecordEncoder } from "./record-encoder.ts";

const SPECIAL = /[",\r\n]/;

/** Leading/trailing whitespace is quoted too, so no reader can trim it away. */
function needsQuotes(s: string): boolean {
  if (s.length === 0) return false;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  return first <= 32 || last <= 32 || SPECIAL.test(s);
}

export function csvField(v: FieldValue): string {
  if (v === null) return "";
  if (typeof v !== "string") return String(v);
  return needsQuotes(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One record as a CSV line without its line end (joining arrays beats string concatenation here). */
function csvRow(values: readonly FieldValue[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = csvField(values[i] ?? null);
  const line = parts.join(",");
  // A lone empty field would be a blank line, which readers skip: quote it so the row survives.
  return line === "" && values.length === 1 ? '""' : line;
}

export function csvLine(values: readonly FieldValue[]): string {
  return `${csvRow(values)}\n`;
}

export class CsvEncoder implements RecordEncoder {
  private headerWritten = false;

  constructor(private readonly sink: ByteSink) {}

  async write(fields: string[], rows: FieldValue[][]): Promise<void> {
    const lines = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) lines[i] = csvRow(rows[i]!);
    let text = rows.length > 0 ? `${lines.join("\n")}\n` : "";
    if (!this.headerWritten) {
      text = csvLine(fields) + text;
      this.headerWritten = true;
    }
    this.sink.write(Buffer.from(text, "utf8"));
  }

  /** `data`: record lines as write() makes them, without the header (written here, once per object). */
  async writeEncoded(fields: string[], data: Buffer): Promise<void> {
    if (!this.headerWritten) {
      this.sink.write(Buffer.from(csvLine(fields), "utf8"));
      this.headerWritten = true;
    }
    this.sink.write(data);
  }

  async close(): Promise<void> {}
}

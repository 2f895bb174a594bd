/** JSON Lines writer: one flat JSON object per record, keys in field order, nulls kept as null. */
import type { FieldValue } from "../connectors/types.ts";
import type { ByteSink, RecordEncoder } from "./record-encoder.ts";

/**
 * A string JSON.stringify would escape: a quote, a backslash, a control character or a surrogate (lone
 * surrogates are written as \\u escapes). Anything else is emitted between quotes as it is.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export class JsonLinesEncoder implements RecordEncoder {
  private keys: string[] = [];
  /** Each key with the opening quote of a string value. */
  private stringKeys: string[] = [];

  constructor(private readonly sink: ByteSink) {}

  async write(fields: string[], rows: FieldValue[][]): Promise<void> {
    // Field names are escaped once per batch, not once per value; the first key carries the "{".
    if (this.keys.length !== fields.length) {
      this.keys = fields.map((f, i) => `${i === 0 ? "{" : ","}${JSON.stringify(f)}:`);
      this.stringKeys = this.keys.map((k) => `${k}"`);
    }
    const { keys, stringKeys } = this;
    const open = keys.length === 0 ? "{" : "";
    // One string per batch built by concatenation (V8 ropes), flattened once by Buffer.from. Each piece
    // is appended to it directly — no string per line or per quoted value: 25–30% faster in an A/B.
    let text = "";
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      text += open;
      for (let i = 0; i < keys.length; i++) {
        const v = row[i] ?? null;
        if (typeof v === "string" && !NEEDS_ESCAPE.test(v)) {
          text += stringKeys[i]!;
          text += v;
          text += '"';
        } else {
          text += keys[i]!;
          text += JSON.stringify(v);
        }
      }
      text += "}\n";
    }
    if (text !== "") this.sink.write(Buffer.from(text, "utf8"));
  }

  async writeEncoded(_fields: string[], data: Buffer): Promise<void> {
    this.sink.write(data);
  }

  async close(): Promise<void> {}
}

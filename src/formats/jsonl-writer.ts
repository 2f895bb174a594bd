/** JSON Lines writer: one flat JSON object per record, keys in field order, nulls kept as null. */
import type { FieldValue } from "../connectors/types.ts";
import type { ByteSink, RecordEncoder } from "./record-encoder.ts";

export class JsonLinesEncoder implements RecordEncoder {
  private keys: string[] = [];

  constructor(private readonly sink: ByteSink) {}

  async write(fields: string[], rows: FieldValue[][]): Promise<void> {
    // Field names are escaped once per batch, not once per value.
    if (this.keys.length !== fields.length) this.keys = fields.map((f) => `${JSON.stringify(f)}:`);
    const keys = this.keys;
    const lines = new Array<string>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const parts = new Array<string>(keys.length);
      for (let i = 0; i < keys.length; i++) parts[i] = keys[i] + JSON.stringify(row[i] ?? null);
      lines[r] = `{${parts.join(",")}}`;
    }
    const text = rows.length > 0 ? `${lines.join("\n")}\n` : "";
    this.sink.write(Buffer.from(text, "utf8"));
  }

  async close(): Promise<void> {}
}

/**
 * How one destination column is written from its source field's bytes: passed through the format's
 * emitter, masked on bytes when it can be, or decoded and run through the column's Mask/Truncate steps.
 * The general path writes every column through here; the fused writers only the columns with steps.
 */
import type { EncodedFormat, FieldValue } from "../../connectors/types.ts";
import type { BytePlan } from "../../tasks/byte-plan.ts";
import { emitters, type FieldEmitter } from "./field-emitters.ts";
import type { OutBuffer } from "./out-buffer.ts";
import { fieldText, plainAscii } from "./record-scan.ts";

export interface ByteMask {
  operator: string;
  n: number;
  bytes: Buffer;
}

/** How many of a `len`-byte ASCII field's first bytes a byte Mask covers (one character per byte). */
export function maskHead(m: ByteMask, len: number): number {
  return m.operator === "MASK_ALL" ? len : m.operator === "MASK_FIRST_N" ? Math.min(m.n, len) : 0;
}

/** How many of its last bytes. */
export function maskTail(m: ByteMask, len: number): number {
  return m.operator === "MASK_LAST_N" ? Math.min(m.n, len) : 0;
}

export class ColumnWriter {
  readonly emit: FieldEmitter;
  /** Each destination column's source column (-1: the layout lacks it). */
  readonly sources: Int32Array;
  readonly transforms: (((v: FieldValue) => FieldValue) | undefined)[];
  /** Whether the column has steps (so raw bytes don't pass). */
  readonly stepped: Uint8Array;
  readonly masks: (ByteMask | undefined)[];

  constructor(plan: BytePlan, format: EncodedFormat) {
    const emit = emitters[format];
    this.emit = emit;
    const columns = plan.columns;
    this.sources = Int32Array.from(columns, (c) => c.source);
    this.transforms = columns.map((c) => c.transform);
    this.stepped = Uint8Array.from(columns, (c) => (c.transform !== undefined || c.source < 0 ? 1 : 0));
    // Masks the format can apply to bytes: a mask character that needs no escaping in it.
    this.masks = columns.map((c) => {
      const m = c.mask;
      if (!m || !emit.masked) return undefined;
      const code = m.mask.codePointAt(0)!;
      if (code < 0x21 || code === 0x22 || code === 0x5c || code === 0x7f) return undefined;
      return { operator: m.operator, n: m.n, bytes: Buffer.from(m.mask) };
    });
  }

  /** Column `k` from its source field `src[s..e)` (ignored for a missing field). */
  write(out: OutBuffer, src: Buffer, k: number, s: number, e: number, quoted: boolean): void {
    if (this.stepped[k] === 0) {
      this.emit.raw(out, src, s, e, quoted);
      return;
    }
    const f = this.sources[k]!;
    const t = this.transforms[k];
    const m = this.masks[k];
    if (m !== undefined && f >= 0 && plainAscii(src, s, e)) {
      this.emit.masked!(out, src, s, e, maskHead(m, e - s), maskTail(m, e - s), m.bytes);
    } else {
      const v: FieldValue = f < 0 ? null : fieldText(src, s, e, quoted);
      this.emit.value(out, t === undefined ? v : t(v));
    }
  }
}

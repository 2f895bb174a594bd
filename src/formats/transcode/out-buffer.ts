/**
 * A growable byte buffer for the transcoder: bytes are written at `pos` by the caller's own loops, and
 * `ensure` grows the buffer (doubling) before a write that may not fit, so the hot loops index a
 * Uint8Array and never call into Buffer for one byte.
 */
export class OutBuffer {
  buf: Buffer;
  /** `buf` as a DataView, for the writers that store four bytes at a time. */
  view: DataView;
  pos = 0;

  constructor(initial: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(1024, initial));
    this.view = new DataView(this.buf.buffer, 0, this.buf.length);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, 0, grown.length);
  }

  /** Appends `bytes` (already ensured or not). */
  put(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    // A loop beats TypedArray.set for the short pieces (keys, separators) written per field.
    if (n > 32) this.buf.set(bytes, this.pos);
    else {
      const b = this.buf;
      let o = this.pos;
      for (let i = 0; i < n; i++) b[o++] = bytes[i]!;
    }
    this.pos += n;
  }

  /** Appends a JS string as UTF-8. */
  putString(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** Appends `src[s..e)`, a run of records copied as they are: one memcpy. */
  putRange(src: Buffer, s: number, e: number): void {
    this.ensure(e - s);
    this.pos += src.copy(this.buf, this.pos, s, e);
  }

  /**
   * The bytes written and then `tail[s..e)` (a run not copied in yet: so it is copied once), in a Buffer
   * of their own (exactly their size, with its own ArrayBuffer, so it can be transferred to another
   * thread); the buffer is then empty and reused. Reusing one scratch buffer per transcoder keeps a
   * thread's garbage to the results it hands on.
   */
  take(tail?: Buffer, s = 0, e = 0): Buffer {
    const data = Buffer.allocUnsafeSlow(this.pos + (e - s));
    this.buf.copy(data, 0, 0, this.pos);
    if (tail && e > s) tail.copy(data, this.pos, s, e);
    this.pos = 0;
    return data;
  }
}

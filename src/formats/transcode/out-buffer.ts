/**
 * A growable byte buffer for the transcoder: bytes are written at `pos` by the caller's own loops, and
 * `ensure` grows the buffer (doubling) before a write that may not fit, so the hot loops index a
 * Uint8Array and never call into Buffer for one byte.
 */
export class OutBuffer {
  buf: Buffer;
  pos = 0;

  constructor(initial: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(1024, initial));
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

  /**
   * The bytes written, copied into a Buffer of their own (exactly their size, with its own ArrayBuffer,
   * so it can be transferred to another thread); the buffer is then empty and reused. Reusing one
   * scratch buffer per transcoder keeps a thread's garbage to the results it hands on.
   */
  take(): Buffer {
    const data = Buffer.allocUnsafeSlow(this.pos);
    this.buf.copy(data, 0, 0, this.pos);
    this.pos = 0;
    return data;
  }
}

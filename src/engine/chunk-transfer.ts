/**
 * Moving a chunk pool's jobs and results between threads without copying their bytes: every Buffer
 * found in a message (in its properties and arrays) goes in the postMessage transfer list, so the
 * receiver takes its memory and the sender's copy becomes empty (byteLength 0).
 *
 * Only a Buffer that is its whole ArrayBuffer can be moved: transferring a view would detach every
 * other view of the same memory — Node's shared pool behind small Buffers, or the rest of an input
 * buffer a chunk was sliced from. Those are copied into their own memory first (once, here).
 */

/** `value` with view Buffers replaced by copies, and the ArrayBuffers to transfer added to `list`. */
export function forTransfer<T>(value: T, list: ArrayBuffer[]): T {
  return walk(value, list, 0) as T;
}

/** What a receiver got: the Uint8Arrays structured cloning makes of Buffers become Buffers again. */
export function fromTransfer<T>(value: T): T {
  return walk(value, undefined, 0) as T;
}

// Jobs and results are small records; a depth bound keeps a cyclic value from looping.
const MAX_DEPTH = 8;

function walk(value: unknown, list: ArrayBuffer[] | undefined, depth: number): unknown {
  if (value instanceof Uint8Array) {
    if (!list)
      return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
    if (!(value.buffer instanceof ArrayBuffer)) return value; // shared memory is shared, not moved
    let own = value;
    if (value.byteOffset !== 0 || value.byteLength !== value.buffer.byteLength) {
      own = Buffer.allocUnsafeSlow(value.length);
      own.set(value);
    }
    if (!list.includes(own.buffer as ArrayBuffer)) list.push(own.buffer as ArrayBuffer);
    return own;
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, list, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = walk(v, list, depth + 1);
  return out;
}

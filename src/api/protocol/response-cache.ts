/**
 * The serialized answers of the hot read operations, kept until the store's next write. On SQLite this
 * process is the store's only writer (the data-dir lock), and the store's data version changes with
 * every statement that can change the database, so an answer is served again only while nothing at all
 * has been written since it was read: never stale, whatever was written. On PostgreSQL other nodes
 * write too and there is no such version, so nothing is cached.
 *
 * Authentication, throttling and authorization still run for every request; only the store reads and
 * the serialization are saved. A run's checkpoints are writes, so while runs progress the answers are
 * read again after each checkpoint.
 */
import type { OperationName } from "./operations.ts";

const CACHEABLE: ReadonlySet<OperationName> = new Set(["DescribeFlowExecutionRecords", "ListFlows"]);

export class ResponseCache {
  private version = Number.NaN;
  private bytes = 0;
  private readonly answers = new Map<string, Buffer>();

  /** `maxBytes`: all answers together stay under it; an answer over an eighth of it isn't kept. */
  constructor(
    private readonly dataVersion: (() => number) | undefined,
    private readonly maxBytes: number,
  ) {}

  /** The key of a cacheable request (the caller's account and its validated input), else undefined. */
  keyOf(operation: OperationName, accountId: string, input: unknown): string | undefined {
    if (!this.dataVersion || this.maxBytes === 0 || !CACHEABLE.has(operation)) return undefined;
    return `${operation}\n${accountId}\n${JSON.stringify(input)}`;
  }

  /** The store's data version now: read it before the handler's first read. */
  now(): number {
    return this.dataVersion?.() ?? Number.NaN;
  }

  get(key: string): Buffer | undefined {
    this.sync(this.now());
    return this.answers.get(key);
  }

  /** Keeps `body` if nothing was written since `readAt` (the version before the handler read the store). */
  set(key: string, readAt: number, body: Buffer): void {
    const now = this.now();
    if (readAt !== now || body.byteLength > this.maxBytes / 8) return;
    this.sync(now);
    const prior = this.answers.get(key);
    if (prior !== undefined) this.bytes -= prior.byteLength;
    this.answers.delete(key);
    // Oldest first (a Map keeps insertion order).
    for (const [k, v] of this.answers) {
      if (this.bytes + body.byteLength <= this.maxBytes) break;
      this.answers.delete(k);
      this.bytes -= v.byteLength;
    }
    this.answers.set(key, body);
    this.bytes += body.byteLength;
  }

  private sync(now: number): void {
    if (now === this.version) return;
    this.version = now;
    this.answers.clear();
    this.bytes = 0;
  }
}

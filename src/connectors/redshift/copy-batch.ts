/**
 * One Redshift batch: BEGIN; COPY ... FROM STDIN (CSV); COMMIT — committed whole or not at all. If the
 * signal aborts while the batch is in flight, the backend is cancelled (pg_cancel_backend from a second
 * connection, which also interrupts a long-running statement) and the connection is destroyed, so the
 * server rolls the transaction back. Resolves with the bytes written.
 */
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import type { from as CopyFrom } from "pg-copy-streams";
import type { FieldValue } from "../types.ts";
import { type ConnectionTarget, connect } from "./redshift-connection.ts";

let copyFromFn: typeof CopyFrom | undefined;
/** Loaded with the first COPY, as pg itself is (redshift-connection.ts). */
const copyFrom = (): typeof CopyFrom => {
  copyFromFn ??= (createRequire(import.meta.url)("pg-copy-streams") as { from: typeof CopyFrom }).from;
  return copyFromFn;
};

/** COPY's CSV: an unquoted empty field is NULL, so empty strings are written quoted. */
const needsQuotes = /[",\r\n\\]|^\s|\s$/;

function copyField(v: FieldValue): string {
  if (v === null) return "";
  const s = typeof v === "string" ? v : String(v);
  return s === "" || needsQuotes.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function copyCsv(rows: readonly FieldValue[][], from = 0, to = rows.length): string {
  let text = "";
  for (let i = from; i < to; i++) text += `${rows[i]!.map(copyField).join(",")}\n`;
  return text;
}

/** Rows per chunk written into the COPY stream: the server parses one chunk while the next is encoded. */
const CHUNK_ROWS = 1000;

export class BatchAborted extends Error {
  override name = "AbortError";
}

/**
 * The connection failed after COMMIT was sent: the batch may or may not have committed. `xid` is the
 * transaction to look up (txid_status) on a new connection before deciding to send the batch again.
 */
export class CommitOutcomeUnknown extends Error {
  constructor(
    readonly xid: string,
    override readonly cause: unknown,
  ) {
    super("the connection failed while committing");
  }
}

export async function copyBatch(
  client: pg.Client,
  backendPid: number,
  target: ConnectionTarget,
  copySql: string,
  rows: readonly FieldValue[][],
  signal: AbortSignal,
): Promise<number> {
  let aborted = false;
  // Once COMMIT is sent it is let through: cancelling then could lose the answer to a commit that happened.
  let committing = false;
  const onAbort = () => {
    if (committing) return;
    aborted = true;
    void cancelBackend(target, backendPid).finally(() => destroy(client));
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await client.query("BEGIN");
    // The transaction id, to learn after a lost connection whether a COMMIT in flight took effect.
    const xid = (await client.query<{ xid: string }>("SELECT txid_current()::text AS xid")).rows[0]!.xid;
    const copy = client.query(copyFrom()(copySql));
    let bytes = 0;
    function* chunks() {
      for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
        const text = copyCsv(rows, i, Math.min(rows.length, i + CHUNK_ROWS));
        bytes += Buffer.byteLength(text);
        yield text;
      }
    }
    await pipeline(Readable.from(chunks()), copy);
    signal.throwIfAborted();
    committing = true;
    try {
      await client.query("COMMIT");
    } catch (e) {
      // A server that answered (e.g. a deferred constraint) rolled back; a lost connection is unknown.
      if (
        (e as { code?: unknown }).code === undefined ||
        /^(08|57)/.test(String((e as { code?: unknown }).code))
      )
        throw new CommitOutcomeUnknown(xid, e);
      throw e;
    }
    return bytes;
  } catch (e) {
    if (aborted) throw new BatchAborted("The batch was cancelled and rolled back");
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

async function cancelBackend(target: ConnectionTarget, pid: number): Promise<void> {
  try {
    const c = await connect(target, AbortSignal.timeout(10_000));
    try {
      await c.query("SELECT pg_cancel_backend($1)", [pid]);
    } finally {
      await c.end().catch(() => {});
    }
  } catch {
    // Destroying the connection below still makes the server roll back, only later.
  }
}

function destroy(client: pg.Client): void {
  const socket = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  socket?.destroy();
}

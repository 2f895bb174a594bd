/**
 * The pieces of a local multipart upload's directory (local-object-store.ts): `object` holds parts 1…k
 * appended in order, each with an empty marker `appended-<n>-<end offset>` made after its bytes, so the
 * state is on disk; a part that arrives out of order waits as `part-<n>` until the gap before it is filled.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { open, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ConnectorServerError } from "../../domain/errors.ts";

const MARKER = /^appended-(\d+)-(\d+)$/;
const markerPath = (dir: string, n: number, end: number) => path.join(dir, `appended-${n}-${end}`);

/** End offsets in `object` of the parts appended to it (index i: part i+1), from the marker files. */
export async function appendedEnds(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT")
      throw new ConnectorServerError("The multipart upload does not exist (aborted or completed)");
    throw e;
  });
  const ends: number[] = [];
  for (const name of names) {
    const m = MARKER.exec(name);
    if (m) ends[Number(m[1]) - 1] = Number(m[2]);
  }
  // Markers are made in order, after their bytes: a hole means one was being removed; keep what precedes it.
  let k = 0;
  while (ends[k] !== undefined) k++;
  return ends.slice(0, k);
}

/** Writes the chunks after the appended parts (over any bytes a cut-short write left), then its marker. */
export async function appendPart(dir: string, ends: number[], chunks: readonly Buffer[]): Promise<void> {
  const start = ends.at(-1) ?? 0;
  let end = start;
  const file = await open(path.join(dir, "object"), ends.length === 0 ? "w" : "r+");
  try {
    let rest = chunks.filter((c) => c.length > 0);
    while (rest.length > 0) {
      let written = (await file.writev(rest, end)).bytesWritten;
      end += written;
      // A short write: drop what was written and go on from there.
      while (rest.length > 0 && written >= rest[0]!.length) written -= rest.shift()!.length;
      if (written > 0) rest = [rest[0]!.subarray(written), ...rest.slice(1)];
    }
    await file.truncate(end);
  } finally {
    await file.close();
  }
  ends.push(end);
  await writeFile(markerPath(dir, ends.length, end), "");
}

/** The listed parts' bytes in order: ranges of `object` for appended parts, else their part files. */
export async function* piecesOf(dir: string, ends: number[], ordered: number[]): AsyncGenerator<Buffer> {
  for (const n of ordered) {
    if (n <= ends.length) {
      const start = n === 1 ? 0 : ends[n - 2]!;
      if (ends[n - 1]! > start)
        yield* createReadStream(path.join(dir, "object"), { start, end: ends[n - 1]! - 1 });
      continue;
    }
    const file = path.join(dir, `part-${n}`);
    const st = await stat(file).catch(() => undefined);
    if (!st) throw new ConnectorServerError(`Part ${n} of the multipart upload was never uploaded`);
    yield* createReadStream(file);
  }
}

/** Moves appended parts from `from` on back out into part files, leaving parts 1…from-1 appended. */
export async function unappendFrom(dir: string, ends: number[], from: number): Promise<number[]> {
  const object = path.join(dir, "object");
  for (let n = from + 1; n <= ends.length; n++) {
    const start = ends[n - 2]!;
    if (ends[n - 1]! > start)
      await pipeline(
        createReadStream(object, { start, end: ends[n - 1]! - 1 }),
        createWriteStream(path.join(dir, `part-${n}`)),
      );
    else await writeFile(path.join(dir, `part-${n}`), "");
  }
  for (let n = ends.length; n >= from; n--) await rm(markerPath(dir, n, ends[n - 1]!));
  const kept = ends.slice(0, from - 1);
  await truncate(object, kept.at(-1) ?? 0);
  return kept;
}

/** Appends the part files that now follow the appended parts without a gap. */
export async function absorbFollowing(dir: string, ends: number[], signal: AbortSignal): Promise<void> {
  for (;;) {
    const file = path.join(dir, `part-${ends.length + 1}`);
    const body = await readFile(file, { signal }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    if (!body) return;
    await appendPart(dir, ends, [body]);
    await rm(file);
  }
}

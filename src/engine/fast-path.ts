/**
 * The fast path (docs/architecture.md): a CSV source's bytes transcoded straight into the destination's
 * wire format, for task lists that never need a record's values (tasks/byte-plan.ts). Each object is cut
 * at record boundaries (csv-chunker.ts) into chunks that chunk-pool threads transcode in parallel; the
 * results come back in order, so the destination sees the records in the source's order, exactly as
 * the general path would write them (the transcoder's tests compare the two byte for byte).
 *
 * Memory stays bounded by chunk size × (threads + 1) in flight, plus what the destination buffers.
 */
import type {
  ConnectorEnvironment,
  CsvObjectBytes,
  DestinationWriter,
  EncodedChunk,
  EncodedRecords,
  Source,
} from "../connectors/types.ts";
import { ConnectorServerError } from "../domain/errors.ts";
import type { Task } from "../domain/flow.ts";
import { chunkCsv } from "../formats/csv-chunker.ts";
import { CsvRowParser } from "../formats/csv-parse.ts";
import { checkedHeader } from "../formats/csv-reader.ts";
import { DEFAULT_MAX_RECORD_MB, MB, recordTooLong } from "../formats/record-limit.ts";
import type { CompiledTasks } from "../tasks/index.ts";
import { ChunkPool } from "./chunk-pool.ts";
import transcodeJob, { type TranscodeJob, type TranscodeOutcome } from "./transcode-job.ts";

/**
 * About this many bytes per job: large enough that a job's messaging is noise (~0.2 ms), small for
 * memory (figure 3 of docs/benchmarks.md: 512 KiB chunks peaked ~10 MB below 1 MiB ones).
 */
export const CHUNK_BYTES = 512 * 1024;
/** Objects smaller than this are transcoded in the run's thread: a pool would cost more than it saves. */
export const MIN_POOL_BYTES = 8 * 1024 * 1024;

export interface FastPath {
  /** Threads transcoding (executionResult.numParallelProcesses); 1 when the run's thread does it alone. */
  readonly threads: number;
  /** The records, encoded, in source order; stopping early (return) releases the pool and the streams. */
  chunks(signal: AbortSignal): AsyncGenerator<EncodedRecords>;
}

/** The fast path for this run, or undefined when the source, the tasks or the destination rule it out. */
export function fastPath(
  source: Source,
  writer: DestinationWriter,
  tasks: CompiledTasks,
  taskList: Task[],
  env: ConnectorEnvironment,
): FastPath | undefined {
  const format = writer.encodedFormat;
  const objects = source.csvObjects?.();
  if (!format || !writer.writeEncoded || !objects || !tasks.byteEligible) return undefined;
  const threads = Math.max(0, env.parseThreads ?? 0);
  const maxRecordBytes = (env.s3.maxRecordMb ?? DEFAULT_MAX_RECORD_MB) * MB;
  const batchRows = Math.max(1, env.batchRows);
  let used = 1;
  return {
    get threads() {
      return used;
    },
    async *chunks(signal) {
      let pool: ChunkPool<TranscodeJob, TranscodeOutcome> | undefined;
      try {
        for await (const object of objects) {
          signal.throwIfAborted();
          if (!pool && threads > 1 && object.size >= MIN_POOL_BYTES) {
            pool = new ChunkPool({ module: new URL("./transcode-job.ts", import.meta.url), threads });
            used = threads;
          }
          yield* objectChunks(object, tasks, taskList, format, maxRecordBytes, batchRows, pool, signal);
        }
      } finally {
        await pool?.close();
      }
    },
  };
}

interface Meta {
  /** The destination fields. */
  fields: string[];
  sourceBytes: number;
  /** The chunk's length (its sourceBytes may also count the header and a BOM). */
  length: number;
}

/** One object's records: its header read here, its body transcoded by the pool or inline. */
async function* objectChunks(
  object: CsvObjectBytes,
  compiled: CompiledTasks,
  tasks: Task[],
  format: NonNullable<DestinationWriter["encodedFormat"]>,
  maxRecordBytes: number,
  batchRows: number,
  pool: ChunkPool<TranscodeJob, TranscodeOutcome> | undefined,
  signal: AbortSignal,
): AsyncGenerator<EncodedRecords> {
  const name = object.name;
  let fields: string[] | undefined;
  let destination: string[] = [];
  let recordsBefore = 0;
  const metas: Meta[] = [];
  const batch: PendingBatch = { chunks: [], records: 0, bytes: 0, longest: 0 };
  // Inline, each piece is transcoded before the next is asked for, so joined pieces can share memory.
  const pieces = chunkCsv(object.bytes, { targetBytes: CHUNK_BYTES, maxRecordBytes, name, reuse: !pool });
  // The jobs, in order; each one's meta waits in `metas` for its result.
  async function* jobs(): AsyncGenerator<TranscodeJob> {
    for await (const piece of pieces) {
      if ("header" in piece) {
        fields = headerFields(piece.header, name);
        destination = compiled.bytePlan(fields)!.fields;
        continue;
      }
      if (!fields) throw new ConnectorServerError(`CSV ${name}: the object has no header row`);
      metas.push({ fields: destination, sourceBytes: piece.sourceBytes, length: piece.data.length });
      yield { tasks, fields, format, maxRecord: maxRecordBytes, data: piece.data };
    }
  }
  const results = pool ? pool.map(jobs(), signal) : inline(jobs());
  for await (const outcome of results) {
    const meta = metas.shift()!;
    if ("error" in outcome) {
      const { record, kind, message } = outcome.error;
      // Rows as the general reader numbers them: the header is row 1.
      const row = 1 + recordsBefore + record;
      if (kind === "too-long") throw recordTooLong(`CSV ${name}, row ${row}`, maxRecordBytes);
      throw new ConnectorServerError(
        kind === "fields" ? `CSV ${name}: row ${row} ${message}` : `CSV ${name}, row ${row}: ${message}`,
      );
    }
    // Batches of batchRows records from the object's start, as the general reader cuts them: the
    // cancel checkpoints, and the objects of an S3 destination without aggregation, are the same. A
    // batch can span chunks: its pieces wait in `batch` until it is full or the object ends, and go
    // on as pieces (views of the transcoder's output, not copies).
    let record = 0;
    let outFrom = 0;
    let srcFrom = 0;
    do {
      const take = Math.min(outcome.records - record, batchRows - (recordsBefore % batchRows));
      const last = record + take === outcome.records;
      const outTo = last ? outcome.data.length : outcome.ends[record + take - 1]!;
      const srcTo = last ? meta.length : outcome.sourceEnds[record + take - 1]!;
      const data = outFrom === 0 && last ? outcome.data : outcome.data.subarray(outFrom, outTo);
      batch.chunks.push({ data, records: take });
      batch.records += take;
      // The header and a BOM count with the chunk's first batch.
      batch.bytes += srcTo - srcFrom + (srcFrom === 0 ? meta.sourceBytes - meta.length : 0);
      batch.longest = Math.max(batch.longest, outcome.longestRecord);
      recordsBefore += take;
      record += take;
      outFrom = outTo;
      srcFrom = srcTo;
      if (recordsBefore % batchRows === 0 && batch.records > 0) yield takeBatch(batch, meta.fields);
    } while (record < outcome.records);
  }
  if (batch.chunks.length > 0) yield takeBatch(batch, destination);
}

interface PendingBatch {
  chunks: EncodedChunk[];
  records: number;
  bytes: number;
  longest: number;
}

function takeBatch(batch: PendingBatch, fields: string[]): EncodedRecords {
  const { chunks, records, bytes, longest } = batch;
  const out = { fields, chunks, records, bytes, longestRecord: longest };
  batch.chunks = [];
  batch.records = 0;
  batch.bytes = 0;
  batch.longest = 0;
  return out;
}

async function* inline(jobs: AsyncIterable<TranscodeJob>): AsyncGenerator<TranscodeOutcome> {
  for await (const job of jobs) yield transcodeJob(job);
}

/** The header row's field names, with csv-reader's checks. */
function headerFields(header: Buffer, name: string): string[] {
  let row: string[] | undefined;
  const parser = new CsvRowParser((r) => {
    row ??= r;
  });
  try {
    parser.push(header.toString("utf8"));
    parser.end();
  } catch (e) {
    throw new ConnectorServerError(`CSV ${name}, row 1: ${(e as Error).message}`);
  }
  if (!row) throw new ConnectorServerError(`CSV ${name}: the object has no header row`);
  return checkedHeader(row, name);
}

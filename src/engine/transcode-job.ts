/**
 * One fast-path job: a chunk of a CSV object's records transcoded into the destination's format. It runs
 * in a chunk-pool thread (chunk-pool.ts) or inline in the run's thread, so it takes only cloneable input:
 * the flow's task list rather than its compiled closures, compiled once per thread and field layout.
 */
import type { EncodedFormat } from "../connectors/types.ts";
import type { Task } from "../domain/flow.ts";
import { ChunkRecordError, type ChunkTranscoder, csvTranscoder } from "../formats/transcode/csv-transcode.ts";
import { buildBytePlan } from "../tasks/byte-plan.ts";
import { compileSpec } from "../tasks/compile-spec.ts";

export interface TranscodeJob {
  tasks: Task[];
  /** The object's header fields. */
  fields: string[];
  format: EncodedFormat;
  /** The longest record accepted, in characters (record-limit.ts). */
  maxRecord: number;
  data: Buffer;
}

export type TranscodeOutcome =
  | { data: Buffer; records: number; longestRecord: number; ends: Int32Array; sourceEnds: Int32Array }
  /** A record the general reader would refuse; `record` counts the chunk's records from 1. */
  | { error: { record: number; kind: ChunkRecordError["kind"]; message: string } };

const transcoders = new Map<string, ChunkTranscoder>();

export default function transcodeJob(job: TranscodeJob): TranscodeOutcome {
  const key = JSON.stringify([job.tasks, job.fields, job.format, job.maxRecord]);
  let transcode = transcoders.get(key);
  if (!transcode) {
    const plan = buildBytePlan(compileSpec(job.tasks), job.fields);
    if (!plan) throw new Error("the fast path was given tasks it can't run on bytes");
    transcode = csvTranscoder(plan, job.fields.length, job.format, job.maxRecord);
    // A run has a layout or a few; a thread serves one run at a time.
    if (transcoders.size >= 16) transcoders.clear();
    transcoders.set(key, transcode);
  }
  try {
    return transcode(job.data);
  } catch (e) {
    if (e instanceof ChunkRecordError)
      return { error: { record: e.record, kind: e.kind, message: e.message } };
    throw e;
  }
}

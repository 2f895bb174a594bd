/**
 * Where the S3 destination puts each object, following AppFlow's layout:
 *
 *   <bucketPrefix>/<flowName>/[schemaVersion_<N>/][YYYY/MM/DD/HH/mm/][<executionId>/][<Field>=<value>/]<file>
 *
 * - date folders (UTC, from the run's start) only with prefixType PATH or PATH_AND_FILENAME, down to the
 *   prefixFormat precision; with FILENAME or PATH_AND_FILENAME the file name starts with the same date
 *   joined by "-";
 * - pathPrefixHierarchy lists which of SCHEMA_VERSION / EXECUTION_ID folders appear; when it is absent the
 *   execution id folder is used (AppFlow's layout before the option existed);
 * - partition folders come from a Partition task (batch.partitionKeys), Hive style.
 * File names: `<executionId>-part-<NNNNN>.<ext>`, numbered per run, so runs never overwrite each other.
 */

import type { FieldValue } from "../types.ts";
import type { S3DestinationProperties } from "./shapes.ts";

type PrefixConfig = NonNullable<NonNullable<S3DestinationProperties["s3OutputFormatConfig"]>["prefixConfig"]>;

export interface LayoutInput {
  bucketPrefix?: string;
  flowName: string;
  executionId: string;
  schemaVersion: number;
  startedAt: Date;
  prefixConfig?: PrefixConfig;
}

const PRECISION = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE"] as const;

/** The date parts of the run start, down to the prefixFormat precision. */
export function dateParts(startedAt: Date, format: PrefixConfig["prefixFormat"]): string[] {
  if (!format) return [];
  const pad = (n: number) => String(n).padStart(2, "0");
  const all = [
    String(startedAt.getUTCFullYear()),
    pad(startedAt.getUTCMonth() + 1),
    pad(startedAt.getUTCDate()),
    pad(startedAt.getUTCHours()),
    pad(startedAt.getUTCMinutes()),
  ];
  return all.slice(0, PRECISION.indexOf(format) + 1);
}

/** The folder (ending in "/") every object of this run goes under, before partition folders. */
export function runFolder(input: LayoutInput): string {
  const pc = input.prefixConfig;
  const parts: string[] = [];
  const prefix = (input.bucketPrefix ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix) parts.push(prefix);
  parts.push(input.flowName);
  const hierarchy = pc?.pathPrefixHierarchy ?? ["EXECUTION_ID"];
  if (hierarchy.includes("SCHEMA_VERSION")) parts.push(`schemaVersion_${input.schemaVersion}`);
  if (pc?.prefixType === "PATH" || pc?.prefixType === "PATH_AND_FILENAME") {
    parts.push(...dateParts(input.startedAt, pc.prefixFormat));
  }
  if (hierarchy.includes("EXECUTION_ID")) parts.push(input.executionId);
  return `${parts.join("/")}/`;
}

/** `Field=value/` folders for one partition; values are URI-encoded so they cannot add path levels. */
export function partitionFolder(keys: readonly string[], values: readonly FieldValue[]): string {
  return keys
    .map((k, i) => {
      const v = values[i] ?? null;
      const text = v === null || v === "" ? "__HIVE_DEFAULT_PARTITION__" : encodeURIComponent(String(v));
      return `${encodeURIComponent(k)}=${text}/`;
    })
    .join("");
}

export function fileName(input: LayoutInput, index: number, extension: string): string {
  const pc = input.prefixConfig;
  const datePrefix =
    pc?.prefixType === "FILENAME" || pc?.prefixType === "PATH_AND_FILENAME"
      ? dateParts(input.startedAt, pc.prefixFormat).join("-")
      : "";
  const base = `${input.executionId}-part-${String(index).padStart(5, "0")}.${extension}`;
  return datePrefix ? `${datePrefix}-${base}` : base;
}

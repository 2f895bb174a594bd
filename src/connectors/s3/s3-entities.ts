/**
 * S3 entities: with no path, the buckets; with "bucket" or "bucket/folder", the folders (nested) and
 * objects directly under it. Describing "bucket/key-or-folder" samples the object (or the first object
 * in the folder): up to 100 records, each field typed from its values.
 */

import { ConnectorServerError } from "../../domain/errors.ts";
import { readCsv } from "../../formats/csv-reader.ts";
import { readJsonLines } from "../../formats/jsonl-reader.ts";
import type { ConnectorEntity, ConnectorEntityField, EntityFieldType } from "../entity-types.ts";
import { operatorsFor } from "../entity-types.ts";
import type { FieldValue } from "../types.ts";
import type { ObjectStore } from "./object-store.ts";
import { folderPrefix } from "./s3-source.ts";

const SAMPLE_ROWS = 100;

function splitPath(path: string): { bucket: string; rest: string } {
  const p = path.replace(/^\/+/, "");
  const i = p.indexOf("/");
  return i < 0 ? { bucket: p, rest: "" } : { bucket: p.slice(0, i), rest: p.slice(i + 1) };
}

export async function listS3Entities(
  store: ObjectStore,
  entitiesPath: string | undefined,
  signal: AbortSignal,
): Promise<ConnectorEntity[]> {
  if (!entitiesPath) {
    return (await store.listBuckets(signal)).map((b) => ({ name: b, label: b, hasNestedEntities: true }));
  }
  const { bucket, rest } = splitPath(entitiesPath);
  const prefix = folderPrefix(rest);
  const seen = new Map<string, ConnectorEntity>();
  for (const o of await store.list(bucket, prefix, signal)) {
    const tail = o.key.slice(prefix.length);
    const slash = tail.indexOf("/");
    const child = slash < 0 ? tail : tail.slice(0, slash);
    if (child === "") continue;
    const name = `${bucket}/${prefix}${child}`;
    if (!seen.has(name)) seen.set(name, { name, label: child, hasNestedEntities: slash >= 0 });
  }
  return [...seen.values()];
}

export async function describeS3Entity(
  store: ObjectStore,
  entityName: string,
  signal: AbortSignal,
): Promise<ConnectorEntityField[]> {
  const { bucket, rest } = splitPath(entityName);
  const exact = rest && !rest.endsWith("/") ? await store.head(bucket, rest, signal) : undefined;
  const key =
    exact?.key ??
    (await store.list(bucket, folderPrefix(rest), signal)).find((o) => o.size > 0 && !o.key.endsWith("/"))
      ?.key;
  if (!key) throw new ConnectorServerError(`No object found at s3://${bucket}/${rest}`);
  const stream = await store.get(bucket, key, signal);
  try {
    const json = /\.jsonl?$/i.test(key);
    const reader = json ? readJsonLines(stream, SAMPLE_ROWS, key) : readCsv(stream, SAMPLE_ROWS, key);
    const first = await reader.next();
    await reader.return(undefined);
    const batch = first.done ? { fields: [], rows: [] } : first.value;
    return batch.fields.map((f, i) => {
      const type = inferFieldType(batch.rows.map((r) => r[i] ?? null));
      return {
        identifier: f,
        label: f,
        supportedFieldTypeDetails: { v1: { fieldType: type, filterOperators: operatorsFor(type) } },
        sourceProperties: { isRetrievable: true, isQueryable: true },
      };
    });
  } finally {
    stream.destroy();
  }
}

/** The narrowest type all non-empty sample values fit; CSV strings are read for what they look like. */
export function inferFieldType(values: FieldValue[]): EntityFieldType {
  let type: EntityFieldType | undefined;
  for (const v of values) {
    if (v === null || v === "") continue;
    const t = valueType(v);
    if (type === undefined || type === t) type = t;
    else if ((type === "integer" && t === "double") || (type === "double" && t === "integer"))
      type = "double";
    else return "string";
  }
  return type ?? "string";
}

function valueType(v: string | number | boolean): EntityFieldType {
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "double";
  if (/^[-+]?\d{1,18}$/.test(v)) return "integer";
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return "double";
  if (/^(true|false)$/i.test(v)) return "boolean";
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return "date";
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) return "datetime";
  return "string";
}

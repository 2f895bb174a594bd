/**
 * REST sObject Collections for small writes (REST API Developer Guide: "Create Multiple Records",
 * "Update Multiple Records", "Upsert Multiple Records", "Delete Multiple Records"): up to 200 records a
 * call under /composite/sobjects, allOrNone false (each record succeeds or fails alone), SaveResults in
 * request order. Each call is one commit, so it takes only the hard signal.
 */
import type { FieldValue } from "../types.ts";
import type { FailedRecord, IngestSpec } from "./bulk-ingest.ts";
import type { SalesforceClient } from "./sf-http.ts";

export const COLLECTION_SIZE = 200;

interface SaveResult {
  id?: string;
  success: boolean;
  errors: { statusCode: string; message: string; fields?: string[] }[];
}

export async function writeCollection(
  client: SalesforceClient,
  spec: IngestSpec,
  fields: readonly string[],
  rows: readonly FieldValue[][],
  signal: AbortSignal,
): Promise<{ ok: number; failed: FailedRecord[] }> {
  let results: SaveResult[];
  if (spec.operation === "delete") {
    const idAt = fields.indexOf("Id");
    const ids = rows.map((r) => String(r[idAt] ?? ""));
    const q = new URLSearchParams({ ids: ids.join(","), allOrNone: "false" });
    results = await client.json<SaveResult[]>("DELETE", `/composite/sobjects?${q}`, { signal });
  } else {
    const records = rows.map((r) => {
      const rec: Record<string, unknown> = { attributes: { type: spec.object } };
      fields.forEach((f, i) => {
        const v = r[i];
        // As an empty field of a Bulk upload: null or "" leaves the value unset (Salesforce keeps no
        // empty strings), so both APIs write the same records.
        if (v !== null && v !== undefined && v !== "") rec[f] = v;
      });
      return rec;
    });
    const path =
      spec.operation === "upsert"
        ? `/composite/sobjects/${spec.object}/${spec.externalIdFieldName}`
        : "/composite/sobjects";
    const method = spec.operation === "insert" ? "POST" : "PATCH";
    results = await client.json<SaveResult[]>(method, path, { json: { allOrNone: false, records }, signal });
  }
  const failed: FailedRecord[] = [];
  let ok = 0;
  results.forEach((res, i) => {
    if (res.success) ok++;
    else {
      const e = res.errors[0];
      failed.push({
        error: e ? `${e.statusCode}:${e.message}:${(e.fields ?? []).join(",")} --` : "UNKNOWN",
        fields: [...fields],
        values: rows[i] ?? [],
      });
    }
  });
  return { ok, failed };
}

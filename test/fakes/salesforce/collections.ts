/**
 * sObject Collections: create, update, upsert and delete up to 200 records a call, with allOrNone.
 *
 * Docs: REST API Developer Guide — "Create Records Using sObject Collections" (POST
 * /services/data/vXX.X/composite/sobjects {allOrNone, records: [{attributes: {type}, …}]}, up to 200,
 * results in request order as SaveResult {id, success, errors: [{statusCode, message, fields}]}, 400
 * for a malformed request, 200 otherwise), "Update Records Using sObject Collections" (PATCH, each record
 * with id), "Upsert Records Using sObject Collections" (PATCH …/composite/sobjects/{SObjectName}/
 * {ExternalIdFieldName}; results add `created`), "Delete Records Using sObject Collections" (DELETE
 * …/composite/sobjects?ids=…&allOrNone=…), "allOrNone Parameters in Composite and Collections Requests"
 * (with allOrNone every record fails; the valid ones carry ALL_OR_NONE_OPERATION_ROLLED_BACK).
 */
import { badRequest } from "./errors.ts";
import { type Ctx, jsonBody, type Route, sendJson } from "./http.ts";
import type { Operation, Org, Prepared } from "./org.ts";
import { RecordError } from "./values.ts";

const LIMIT = 200;

interface SaveResult {
  id: string | null;
  success: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[];
  created?: boolean;
}

export function collectionRoutes(org: Org): Route[] {
  const v = String.raw`^/services/data/v(\d+\.\d)/composite/sobjects`;
  return [
    { method: "POST", pattern: new RegExp(`${v}/?$`), handler: (ctx) => write(org, ctx, "insert") },
    { method: "PATCH", pattern: new RegExp(`${v}/?$`), handler: (ctx) => write(org, ctx, "update") },
    {
      method: "PATCH",
      pattern: new RegExp(`${v}/([A-Za-z0-9_]+)/([A-Za-z0-9_]+)/?$`),
      handler: (ctx, m) => write(org, ctx, "upsert", m[2], m[3]),
    },
    { method: "DELETE", pattern: new RegExp(`${v}/?$`), handler: (ctx) => remove(org, ctx) },
  ];
}

function write(org: Org, ctx: Ctx, op: Operation, upsertObject?: string, extField?: string): void {
  const body = jsonBody<{ allOrNone?: boolean; records?: Record<string, unknown>[] }>(ctx);
  const records = body.records;
  if (!Array.isArray(records))
    throw badRequest("JSON_PARSER_ERROR", "records: a list of sObjects is required");
  if (records.length > LIMIT)
    throw badRequest("EXCEEDED_ID_LIMIT", `Exceeded max limit of records: ${LIMIT}`);
  if (upsertObject) org.requireObject(upsertObject);
  const items = records.map((r) => {
    const type = (r.attributes as { type?: string } | undefined)?.type;
    return { type: upsertObject ?? type, input: r };
  });
  for (const it of items) if (!it.type) throw badRequest("INVALID_TYPE", "Must send a concrete entity type.");
  const preps = items.map((it) => () => org.prepare(op, it.type!, it.input, "json", extField));
  sendJson(ctx, 200, apply(org, body.allOrNone === true, preps, op === "upsert"));
}

function remove(org: Org, ctx: Ctx): void {
  const ids = (ctx.url.searchParams.get("ids") ?? "").split(",").filter((s) => s !== "");
  if (ids.length === 0) throw badRequest("MISSING_ARGUMENT", "ids: at least one id is required");
  if (ids.length > LIMIT) throw badRequest("EXCEEDED_ID_LIMIT", `Exceeded max limit of records: ${LIMIT}`);
  const allOrNone = ctx.url.searchParams.get("allOrNone") === "true";
  const preps = ids.map((id) => () => {
    const o = [...org.objects.values()].find((x) => id.startsWith(x.keyPrefix));
    if (!o) throw new RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
    return org.prepare("delete", o.name, { Id: id }, "json");
  });
  sendJson(ctx, 200, apply(org, allOrNone, preps, false));
}

/** Validates every record, then commits the valid ones (or none of them under allOrNone). */
export function apply(
  org: Org,
  allOrNone: boolean,
  preps: (() => Prepared)[],
  withCreated: boolean,
): SaveResult[] {
  const outcomes = preps.map((p) => {
    try {
      return { ok: p() };
    } catch (e) {
      if (e instanceof RecordError) return { err: e };
      throw e;
    }
  });
  const failed = outcomes.some((o) => o.err);
  if (allOrNone && failed)
    return outcomes.map((o) => ({
      id: null,
      success: false,
      errors: [
        o.err
          ? { statusCode: o.err.statusCode, message: o.err.message, fields: o.err.fields }
          : {
              statusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
              message:
                "Record rolled back because not all records were valid and the request was using AllOrNone header",
              fields: [],
            },
      ],
    }));
  const ok = outcomes.flatMap((o) => (o.ok ? [o.ok] : []));
  const ids = org.commit(ok, "rest");
  let n = 0;
  return outcomes.map((o) => {
    if (o.err)
      return {
        id: null,
        success: false,
        errors: [{ statusCode: o.err.statusCode, message: o.err.message, fields: o.err.fields }],
      };
    const id = ids[n++]!;
    return { id, success: true, errors: [], ...(withCreated ? { created: o.ok!.created } : {}) };
  });
}

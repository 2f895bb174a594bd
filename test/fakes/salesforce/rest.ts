/**
 * REST API resources: versions, query / queryAll with query locators, describe global and sObject describe.
 *
 * Docs: REST API Developer Guide — "Versions" (GET /services/data, no auth), "Resources by Version",
 * "Query" and "QueryAll" (GET /services/data/vXX.X/query?q=…; response totalSize, done,
 * nextRecordsUrl, records with attributes {type, url}; up to 2,000 records a batch; queryAll adds
 * deleted records), "Query More Results" (GET /services/data/vXX.X/query/<queryLocator>; an unknown
 * locator answers INVALID_QUERY_LOCATOR), "Query Options Header" (Sforce-Query-Options: batchSize=n, 200
 * to 2,000, not guaranteed), "Describe Global" and "sObject Describe".
 */
import { badRequest, notFound } from "./errors.ts";
import { type Ctx, type Route, sendJson } from "./http.ts";
import type { Org, Row } from "./org.ts";
import { describeGlobalEntry, describeObject, type FieldDef } from "./schema.ts";
import { runSoql } from "./soql-eval.ts";
import { formatJson } from "./values.ts";

interface Cursor {
  records: Record<string, unknown>[];
  batch: number;
  all: boolean;
}

export class RestApi {
  private readonly cursors = new Map<string, Cursor>();
  private cursorNo = 0;

  constructor(
    private readonly org: Org,
    private readonly defaultBatch: () => number,
    private readonly now: () => number,
    private readonly countOffset: () => number = () => 0,
  ) {}

  routes(): Route[] {
    const v = String.raw`^/services/data/v(\d+\.\d)`;
    return [
      { method: "GET", pattern: new RegExp(`${v}/?$`), handler: (ctx) => this.resources(ctx) },
      {
        method: "GET",
        pattern: new RegExp(`${v}/(query|queryAll)/?$`),
        handler: (ctx, m) => this.query(ctx, m[2] === "queryAll"),
      },
      {
        method: "GET",
        pattern: new RegExp(`${v}/(?:query|queryAll)/([A-Za-z0-9]+)-(\\d+)$`),
        handler: (ctx, m) => this.more(ctx, m[2]!, Number(m[3])),
      },
      { method: "GET", pattern: new RegExp(`${v}/sobjects/?$`), handler: (ctx) => this.describeGlobal(ctx) },
      {
        method: "GET",
        pattern: new RegExp(`${v}/sobjects/([A-Za-z0-9_]+)/describe/?$`),
        handler: (ctx, m) => this.describe(ctx, m[2]!),
      },
    ];
  }

  private base(ctx: Ctx): string {
    return `/services/data/v${ctx.version}`;
  }

  private resources(ctx: Ctx): void {
    const b = this.base(ctx);
    sendJson(ctx, 200, {
      sobjects: `${b}/sobjects`,
      query: `${b}/query`,
      queryAll: `${b}/queryAll`,
      composite: `${b}/composite`,
      jobs: `${b}/jobs`,
    });
  }

  private describeGlobal(ctx: Ctx): void {
    const b = this.base(ctx);
    sendJson(ctx, 200, {
      encoding: "UTF-8",
      maxBatchSize: 200,
      sobjects: [...this.org.objects.values()].map((o) => describeGlobalEntry(o, b)),
    });
  }

  private describe(ctx: Ctx, name: string): void {
    const o = this.org.object(name);
    if (!o) throw notFound();
    sendJson(ctx, 200, describeObject(o, this.base(ctx)));
  }

  private batchSize(ctx: Ctx): number {
    const opt = /batchSize\s*=\s*(\d+)/i.exec(String(ctx.req.headers["sforce-query-options"] ?? ""));
    if (!opt) return this.defaultBatch();
    return Math.min(2000, Math.max(200, Number(opt[1])));
  }

  private query(ctx: Ctx, all: boolean) {
    const q = ctx.url.searchParams.get("q");
    if (!q) throw badRequest("MALFORMED_QUERY", "A query string has to be specified");
    const result = runSoql(this.org, q, all, this.now());
    if (result.count)
      return sendJson(ctx, 200, {
        totalSize: result.rows.length + this.countOffset(),
        done: true,
        records: [],
      });
    const records = result.rows.map((r) => toJson(r, result.object.name, result.fields, this.base(ctx)));
    const batch = this.batchSize(ctx);
    if (records.length <= batch)
      return sendJson(ctx, 200, { totalSize: records.length, done: true, records });
    this.cursorNo += 1;
    const locator = `01g${String(this.cursorNo).padStart(12, "0")}`;
    this.cursors.set(locator, { records, batch, all });
    sendJson(ctx, 200, {
      totalSize: records.length,
      done: false,
      nextRecordsUrl: `${this.base(ctx)}/${all ? "queryAll" : "query"}/${locator}-${batch}`,
      records: records.slice(0, batch),
    });
  }

  private more(ctx: Ctx, locator: string, offset: number): void {
    const c = this.cursors.get(locator);
    if (!c || offset >= c.records.length || offset <= 0)
      throw badRequest("INVALID_QUERY_LOCATOR", "invalid query locator");
    const end = offset + c.batch;
    const done = end >= c.records.length;
    sendJson(ctx, 200, {
      totalSize: c.records.length,
      done,
      ...(done
        ? {}
        : { nextRecordsUrl: `${this.base(ctx)}/${c.all ? "queryAll" : "query"}/${locator}-${end}` }),
      records: c.records.slice(offset, end),
    });
  }
}

export function toJson(r: Row, type: string, fields: FieldDef[], base: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type, url: `${base}/sobjects/${type}/${String(r.Id)}` },
  };
  for (const f of fields) out[f.name] = formatJson(f, r[f.name] ?? null);
  return out;
}

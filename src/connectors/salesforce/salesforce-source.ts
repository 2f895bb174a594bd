/**
 * Salesforce as a flow source. One describe call gives the object's fields (so a flow without a
 * projection reads every field the object has at run time: enableDynamicFieldUpdate is always on), the
 * SOQL is built from the projection, the pushed-down filters and the incremental window (soql.ts), and
 * the data comes over REST (query / queryAll pages) or Bulk API 2.0 (a query job's CSV chunks).
 * AUTOMATIC picks as AppFlow documents: REST below 1,000,000 records, Bulk API 2.0 at or above, counted
 * with SELECT COUNT(). The API used is logged on the run ("Salesforce source: Bulk API 2.0 …"), since
 * the two give differently formatted values (REST: JSON types; Bulk: CSV text, null as empty).
 *
 * commitMode "batch": a REST page or a Bulk results chunk is the batch. On cancel the one in flight is
 * read whole (its call has only the hard signal) and then written, and no other is requested; a Bulk job
 * still running is aborted.
 */
import { ValidationError } from "../../domain/errors.ts";
import type { SourceFlowConfig } from "../../domain/flow.ts";
import { compileTasks } from "../../tasks/index.ts";
import type { ConnectorRunContext, RecordBatch, Source } from "../types.ts";
import { bulkQuery } from "./bulk-query.ts";
import { openSalesforce } from "./connection.ts";
import { countRecords, restQuery } from "./rest-query.ts";
import { DEFAULT_POLL } from "./sf-backoff.ts";
import { describeSObject, toSoqlFields } from "./sf-entities.ts";
import type { SalesforceSourceProperties } from "./shapes.ts";
import { buildSoql } from "./soql.ts";

/** AppFlow's documented switch-over: at or above this many records AUTOMATIC uses Bulk API 2.0. */
export const BULK_THRESHOLD = 1_000_000;
/** REST page size (Sforce-Query-Options batchSize, 200–2000). */
export const REST_PAGE = 2000;

export type SourceApi = "REST" | "BULKV2";

export function createSalesforceSource(config: SourceFlowConfig, ctx: ConnectorRunContext): Source {
  const props = config.sourceConnectorProperties.Salesforce as SalesforceSourceProperties | undefined;
  if (!props?.object) throw new ValidationError("sourceConnectorProperties.Salesforce.object is required");
  const profile = ctx.profile;
  if (!profile) throw new ValidationError("A Salesforce source needs a connector profile");
  const chunk = Math.max(1, ctx.env.batchRows);
  let pageSize = props.dataTransferApi === "BULKV2" ? chunk : REST_PAGE;
  return {
    commitMode: "batch",
    get maxPageSize() {
      return pageSize;
    },
    numParallelProcesses: 1,
    async *read(): AsyncGenerator<RecordBatch> {
      const { client } = openSalesforce({
        profile,
        env: ctx.env,
        save: ctx.saveCredentials,
        apiVersion: config.apiVersion,
        log: ctx.log,
      });
      // Before the first batch a cancel stops at once (nothing is in flight that must finish).
      const early = AbortSignal.any([ctx.signal, ctx.hardSignal]);
      const described = await describeSObject(client, props.object, early);
      const soql = buildSoql({
        object: described.name,
        fields: toSoqlFields(described.fields),
        projection: compileTasks(ctx.flow.tasks).sourceFields,
        tasks: ctx.flow.tasks,
        window: ctx.dataPullWindow,
        windowField: config.incrementalPullConfig?.datetimeTypeFieldName,
      });
      const all = props.includeDeletedRecords ?? false;
      let api: SourceApi = props.dataTransferApi === "BULKV2" ? "BULKV2" : "REST";
      let counted: number | undefined;
      if ((props.dataTransferApi ?? "AUTOMATIC") === "AUTOMATIC") {
        counted = await countRecords(client, soql.countQuery, all, early);
        api = counted >= BULK_THRESHOLD ? "BULKV2" : "REST";
      }
      pageSize = api === "BULKV2" ? chunk : REST_PAGE;
      ctx.log.info(
        {
          api,
          dataTransferApi: props.dataTransferApi ?? "AUTOMATIC",
          ...(counted === undefined ? {} : { counted }),
          pushedFilters: soql.pushed.length,
        },
        `Salesforce source: ${api === "BULKV2" ? "Bulk API 2.0" : "REST API"} for ${described.name}`,
      );
      if (ctx.signal.aborted) return;
      if (api === "REST") {
        yield* restQuery(client, soql.query, soql.selected, {
          all,
          batchSize: REST_PAGE,
          stop: ctx.signal,
          signal: ctx.hardSignal,
        });
        return;
      }
      yield* bulkQuery(client, soql.query, {
        all,
        maxRecords: chunk,
        poll: DEFAULT_POLL,
        stop: ctx.signal,
        signal: ctx.hardSignal,
        onJob: (id) => ctx.log.info({ jobId: id }, "Salesforce Bulk API 2.0 query job created"),
      });
    },
  };
}

/** S3 as a flow destination: resolves the flow's S3 settings into an S3DestinationWriter. */
import { join } from "node:path";
import { ValidationError } from "../../domain/errors.ts";
import type { DestinationFlowConfig, SourceFlowConfig } from "../../domain/flow.ts";
import { duckdbProcess } from "../../formats/duckdb-process.ts";
import type { OutputFileType } from "../../formats/record-encoder.ts";
import type { ConnectorRunContext, Destination, DestinationWriter } from "../types.ts";
import { openObjectStore } from "./open-object-store.ts";
import { S3DestinationWriter } from "./s3-destination-writer.ts";
import { runFolder } from "./s3-layout.ts";
import type { S3DestinationProperties, S3SourceProperties } from "./shapes.ts";

const MB = 1024 * 1024;
/** Each open object buffers up to one part (5 MiB) before uploading: 32 bound a run's buffers to ~160 MiB. */
const DEFAULT_MAX_OPEN_OBJECTS = 32;

export function createS3Destination(config: DestinationFlowConfig, ctx: ConnectorRunContext): Destination {
  const props = config.destinationConnectorProperties.S3 as S3DestinationProperties | undefined;
  if (!props?.bucketName)
    throw new ValidationError("destinationConnectorProperties.S3.bucketName is required");
  const format = props.s3OutputFormatConfig ?? {};
  const aggregation = format.aggregationConfig ?? {};
  const fileType: OutputFileType = format.fileType ?? "JSON";
  const targetMb = aggregation.targetFileSize;
  const layout = {
    bucketPrefix: props.bucketPrefix,
    flowName: ctx.flow.flowName,
    executionId: ctx.executionId,
    schemaVersion: ctx.flow.schemaVersion,
    startedAt: ctx.startedAt,
    prefixConfig: format.prefixConfig,
  };
  return {
    // Every object of a run is under its folder (partition folders below it) and named
    // [<date>-]<executionId>-part-<N>: those of this execution id are the earlier attempt's.
    async discardEarlierAttempt(signal) {
      const store = openObjectStore(ctx.env);
      const mark = `${ctx.executionId}-part-`;
      for (const o of await store.list(props.bucketName, runFolder(layout), signal)) {
        const name = o.key.slice(o.key.lastIndexOf("/") + 1);
        if (name.startsWith(mark) || name.includes(`-${mark}`))
          await store.delete(props.bucketName, o.key, signal);
      }
    },
    async open(): Promise<DestinationWriter> {
      ctx.signal.throwIfAborted();
      const tempDir = join(ctx.env.dataDir, "tmp", "parquet");
      // Start this thread's DuckDB process now (it takes 0.3–2 s) while the run reads and stages; only
      // an object's COPY waits for it. A failure to start shows there, with its message.
      if (fileType === "PARQUET") duckdbProcess(tempDir);
      return new S3DestinationWriter(openObjectStore(ctx.env), ctx, {
        bucket: props.bucketName,
        fileType,
        perBatch: (aggregation.aggregationType ?? "None") === "None",
        targetBytes: targetMb !== undefined && targetMb > 0 ? targetMb * MB : undefined,
        maxOpenObjects: ctx.env.s3.maxOpenObjects ?? DEFAULT_MAX_OPEN_OBJECTS,
        preserveSourceDataTyping: format.preserveSourceDataTyping ?? false,
        partitioned: ctx.flow.tasks.some((t) => t.taskType === "Partition"),
        textSource: csvSource(ctx.flow.sourceFlowConfig),
        tempDir,
        layout,
      });
    },
  };
}

/** An S3 source of CSV objects: every value it yields is a string (formats/csv-reader.ts). */
function csvSource(source: SourceFlowConfig): boolean {
  if (source.connectorType !== "S3") return false;
  const props = source.sourceConnectorProperties.S3 as S3SourceProperties | undefined;
  return (props?.s3InputFormatConfig?.s3InputFileType ?? "CSV") === "CSV";
}

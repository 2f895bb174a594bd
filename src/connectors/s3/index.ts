/** The S3 connector: source and destination, no connector profile (the server's S3 settings apply). */
import type { ConnectorDefinition } from "../sdk/definition.ts";
import { openObjectStore } from "./open-object-store.ts";
import { createS3Destination } from "./s3-destination.ts";
import { describeS3Entity, listS3Entities } from "./s3-entities.ts";
import { S3_OPERATORS } from "./s3-operators.ts";
import { createS3Source } from "./s3-source.ts";
import { s3DestinationProperties, s3SourceProperties } from "./shapes.ts";

export const s3Connector: ConnectorDefinition = {
  connectorType: "S3",
  description: "Amazon S3 compatible object storage (CSV, JSON Lines and Parquet)",
  source: {
    properties: s3SourceProperties,
    operators: S3_OPERATORS,
    triggerTypes: ["OnDemand", "Scheduled"],
    create: createS3Source,
  },
  destination: {
    properties: s3DestinationProperties,
    writeOperations: [],
    // Objects are named <executionId>-part-<N> in the run's folder: a resumed run deletes its own, rewrites.
    rewriteReplaces: true,
    create: createS3Destination,
  },
  entities: {
    list: (ctx, path) => listS3Entities(openObjectStore(ctx.env), path, ctx.signal),
    describe: (ctx, name) => describeS3Entity(openObjectStore(ctx.env), name, ctx.signal),
  },
};

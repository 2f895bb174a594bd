/**
 * Picks how a Redshift profile is loaded. With a databaseUrl the PostgreSQL protocol is used, and the
 * server says what it is (version()): PostgreSQL gets COPY FROM STDIN; Amazon Redshift, which has no
 * COPY FROM STDIN, gets each batch staged in the intermediate bucket and COPY FROM 's3://…'. A profile
 * without a databaseUrl (a clusterIdentifier or workgroupName) goes through the Redshift Data API.
 */
import { ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import { openObjectStore } from "../s3/open-object-store.ts";
import type { ConnectorRunContext, ResolvedProfile } from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { dataApiTarget, usesDataApi } from "./data-api.ts";
import { DataApiLoader } from "./data-api-loader.ts";
import { connect, connectionError, connectionTarget } from "./redshift-connection.ts";
import { S3CopyLoader } from "./s3-copy-loader.ts";
import type { StagingArea } from "./s3-staging.ts";
import { readRedshiftSettings } from "./settings.ts";
import type { RedshiftDestinationProperties } from "./shapes.ts";
import { StdinLoader } from "./stdin-loader.ts";

/** AppFlow's intermediate location: the destination's intermediateBucketName/bucketPrefix. */
function stagingArea(props: RedshiftDestinationProperties, ctx: ConnectorRunContext): StagingArea {
  const prefix = [props.bucketPrefix?.replace(/^\/+|\/+$/g, ""), ctx.flow.flowName, ctx.executionId]
    .filter(Boolean)
    .join("/");
  return { store: openObjectStore(ctx.env), bucket: props.intermediateBucketName, prefix };
}

function roleArn(profile: ResolvedProfile): string {
  const arn = profile.properties.roleArn;
  if (typeof arn !== "string" || arn === "") {
    throw new ValidationError("connectorProfileProperties.Redshift.roleArn is required to COPY from S3");
  }
  return arn;
}

export async function openLoader(
  profile: ResolvedProfile,
  props: RedshiftDestinationProperties,
  ctx: ConnectorRunContext,
  schema: string,
  table: string,
): Promise<BatchLoader> {
  if (usesDataApi(profile)) {
    const t = dataApiTarget(profile, ctx.env);
    return DataApiLoader.open(t, stagingArea(props, ctx), roleArn(profile), schema, table, ctx.signal);
  }
  const target = connectionTarget(profile);
  // Who is loading, as the database's operators see it (pg_stat_activity, Redshift's STL_CONNECTION_LOG):
  // this node's process and the run (at most 63 bytes are kept; this is about 50).
  target.config.application_name = `sluice/${process.pid}/${ctx.executionId}`;
  const client = await connect(target, ctx.signal);
  try {
    const info = await client.query<{ v: string }>("SELECT version() AS v");
    const cols = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
       ORDER BY ordinal_position`,
      [schema, table],
    );
    const columns = cols.rows.map((r) => r.column_name);
    if (/redshift/i.test(info.rows[0]?.v ?? "")) {
      const area = stagingArea(props, ctx);
      return new S3CopyLoader(target, client, area, roleArn(profile), schema, table, columns);
    }
    ctx.log.debug({ server: info.rows[0]?.v }, "PostgreSQL detected: loading with COPY FROM STDIN");
    const parallel = readRedshiftSettings(ctx.env).copyConnections;
    return await StdinLoader.open(target, client, schema, table, columns, parallel);
  } catch (e) {
    await client.end().catch(() => {});
    if (e instanceof ConnectorServerError || e instanceof ValidationError) throw e;
    throw connectionError(e, target);
  }
}

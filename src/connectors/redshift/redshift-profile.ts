/**
 * Checks a Redshift connector profile: connects and runs SELECT 1, over the PostgreSQL protocol
 * (databaseUrl) or through the Redshift Data API (clusterIdentifier / workgroupName).
 */
import { ConnectorServerError } from "../../domain/errors.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../types.ts";
import { dataApiTarget, runStatement, usesDataApi } from "./data-api.ts";
import { connect, connectionError, connectionTarget } from "./redshift-connection.ts";

export async function testRedshiftProfile(
  profile: ResolvedProfile,
  signal: AbortSignal,
  env: ConnectorEnvironment,
): Promise<void> {
  if (usesDataApi(profile)) {
    const t = dataApiTarget(profile, env);
    const r = await runStatement(t, "SELECT 1", signal, { what: "Testing the connection" });
    if (r.status !== "FINISHED")
      throw new ConnectorServerError(
        `Testing the connection to ${t.label} ${r.status.toLowerCase()}: ${r.error ?? ""}`,
      );
    return;
  }
  const target = connectionTarget(profile);
  const client = await connect(target, signal);
  try {
    await client.query("SELECT 1");
  } catch (e) {
    throw connectionError(e, target);
  } finally {
    await client.end().catch(() => {});
  }
}

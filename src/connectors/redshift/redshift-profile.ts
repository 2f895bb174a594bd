/** Checks a Redshift connector profile: connects and runs SELECT 1. */
import type { ResolvedProfile } from "../types.ts";
import { connect, connectionError, connectionTarget } from "./redshift-connection.ts";

export async function testRedshiftProfile(profile: ResolvedProfile, signal: AbortSignal): Promise<void> {
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

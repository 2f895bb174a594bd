/** The store backends every store/API test runs on, and how to reach the test PostgreSQL. */
import pg from "pg";

export type Backend = "sqlite" | "postgres";
export const backends: Backend[] = ["sqlite", "postgres"];
export const PG_URL = process.env.SLUICE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function dropSchema(pgSchema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
  await c.end();
}

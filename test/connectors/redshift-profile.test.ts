import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import pg from "pg";
import { testRedshiftProfile } from "../../src/connectors/redshift/redshift-profile.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../../src/connectors/types.ts";
import { ConnectorAuthenticationError, ConnectorServerError } from "../../src/domain/errors.ts";

const suffix = randomBytes(4).toString("hex");
const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
const sig = () => AbortSignal.timeout(30_000);
const env: ConnectorEnvironment = {
  dataDir: "/nonexistent",
  s3: {},
  redshiftBatchRows: 1,
  sourceParallelism: 1,
  batchRows: 1,
};

const profile = (
  username = "postgres",
  password = "unchecked",
  url = "jdbc:redshift://127.0.0.1:5432/test",
): ResolvedProfile => ({
  connectorProfileName: "rs",
  connectorType: "Redshift",
  properties: { databaseUrl: url },
  credentials: { username, password },
});

before(async () => admin.connect());
after(async () => {
  await admin.query(`DROP ROLE IF EXISTS sluice_nologin_${suffix}`);
  await admin.end();
});

test("testProfile: SELECT 1 works; auth failures are ConnectorAuthenticationError without the password", async () => {
  await testRedshiftProfile(profile(), sig(), env);
  await testRedshiftProfile(profile("postgres", "x", "postgres://127.0.0.1:5432/test"), sig(), env);
  // pg_hba here trusts loopback, so a wrong password is never checked. A role that may not log in is
  // refused with SQLSTATE 28000 (invalid authorization) during the same startup exchange, which
  // exercises the same mapping as 28P01 (bad password) does on a password-checking server.
  const role = `sluice_nologin_${suffix}`;
  const secret = `S3cret-${suffix}`;
  await admin.query(`CREATE ROLE ${role} NOLOGIN PASSWORD '${secret}'`);
  for (const user of [role, `no_such_role_${suffix}`]) {
    await assert.rejects(testRedshiftProfile(profile(user, secret), sig(), env), (e: unknown) => {
      assert.ok(e instanceof ConnectorAuthenticationError, String(e));
      assert.ok(!e.message.includes(secret));
      assert.match(e.message, new RegExp(user));
      return true;
    });
  }
  await assert.rejects(
    testRedshiftProfile(profile("postgres", secret, "jdbc:redshift://127.0.0.1:1/test"), sig(), env),
    (e: unknown) => {
      assert.ok(e instanceof ConnectorServerError);
      assert.match(e.message, /Could not reach the database at 127\.0\.0\.1:1\/test/);
      assert.ok(!e.message.includes(secret));
      return true;
    },
  );
});

test("issue 8 defect 12: a short password doesn't garble the server's message (no search-and-replace masking)", async () => {
  // With masking, every "e" of the message became "***": role "nobody_h***r***" do***s not ***xist.
  const user = `nobody_here_${suffix}`;
  await assert.rejects(testRedshiftProfile(profile(user, "e"), sig(), env), (e: unknown) => {
    assert.ok(e instanceof ConnectorAuthenticationError, String(e));
    assert.match(e.message, new RegExp(`role "${user}" does not exist`));
    assert.match(e.message, /SQLSTATE 28000/);
    assert.doesNotMatch(e.message, /\*\*\*/);
    return true;
  });
});

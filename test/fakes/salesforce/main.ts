/**
 * `npm run fake:salesforce`: starts the fake Salesforce on a fixed port with a seeded org and prints
 * what a user needs to create a Salesforce connector profile against it.
 *
 * Environment: SF_FAKE_PORT (default 8443), SF_FAKE_HOST (127.0.0.1), SF_FAKE_RECORDS (records per
 * object, default 250), SF_FAKE_SEED (42), SF_FAKE_KNOBS (JSON of knobs, e.g. '{"queryJobMs":5000}').
 */
import { writeFileSync } from "node:fs";
import type { Knobs } from "./knobs.ts";
import { startFakeSalesforce } from "./server.ts";

const knobs = process.env.SF_FAKE_KNOBS ? (JSON.parse(process.env.SF_FAKE_KNOBS) as Partial<Knobs>) : {};
const fake = await startFakeSalesforce({
  ...knobs,
  port: Number(process.env.SF_FAKE_PORT ?? 8443),
  host: process.env.SF_FAKE_HOST ?? "127.0.0.1",
  records: Number(process.env.SF_FAKE_RECORDS ?? 250),
  seed: Number(process.env.SF_FAKE_SEED ?? 42),
});
const keyFile = process.env.SF_FAKE_JWT_KEY_FILE;
if (keyFile) writeFileSync(keyFile, fake.jwtPrivateKeyPem, { mode: 0o600 });

const counts = [...fake.org.objects.values()]
  .map((o) => `${o.name}=${fake.org.list(o.name).length}`)
  .join(", ");
process.stdout.write(
  [
    "Fake Salesforce is running (test code; not a real org).",
    `  instanceUrl:   ${fake.instanceUrl}`,
    `  client id:     ${fake.clientId}`,
    `  client secret: ${fake.clientSecret}`,
    `  username:      ${fake.username}`,
    `  refresh token: ${fake.refreshToken}`,
    `  access token:  ${fake.issueAccessToken()}`,
    `  API version:   v${fake.knobs.apiVersion}`,
    `  seeded:        ${counts}`,
    ...(keyFile ? [`  JWT key:       ${keyFile} (RS256 private key for the JWT bearer flow)`] : []),
    `  control:       ${fake.instanceUrl}/__fake/state (see docs/salesforce-fake.md)`,
    "Ctrl-C stops it.",
    "",
  ].join("\n"),
);

const stop = (): void => {
  void fake.stop().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

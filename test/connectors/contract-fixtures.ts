/**
 * What the connector contract suite (contract.test.ts) needs to know about each connector: valid
 * members for its request shapes, and, for a destination, a live target to write to and read back.
 * Every connector in the registry must have an entry here: the suite fails for one that doesn't.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openObjectStore } from "../../src/connectors/s3/open-object-store.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../../src/connectors/types.ts";
import { startFakeSalesforce } from "../fakes/salesforce/server.ts";

export interface LiveDestination {
  env: ConnectorEnvironment;
  properties: Record<string, unknown>;
  profile?: ResolvedProfile;
  /** The batch fields the target accepts. */
  fields: string[];
  /** Records the destination holds now. */
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface ConnectorFixture {
  sourceProperties?: Record<string, unknown>;
  destinationProperties?: Record<string, unknown>;
  profile?: { properties: Record<string, unknown>; credentials: Record<string, unknown> };
  /** A credential value that must never appear in a response or a log. */
  secret?: string;
  liveDestination?(): Promise<LiveDestination>;
}

const baseEnv = { redshiftBatchRows: 2, sourceParallelism: 1, batchRows: 100 };

export const fixtures: Record<string, ConnectorFixture> = {
  S3: {
    sourceProperties: { bucketName: "src-bucket", bucketPrefix: "in" },
    destinationProperties: { bucketName: "dst-bucket", s3OutputFormatConfig: { fileType: "CSV" } },
    async liveDestination() {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-contract-s3-"));
      const env: ConnectorEnvironment = { ...baseEnv, dataDir, s3: {} };
      const store = openObjectStore(env);
      await store.createBucket("dst-bucket", AbortSignal.timeout(10_000));
      return {
        env,
        properties: { bucketName: "dst-bucket", s3OutputFormatConfig: { fileType: "JSON" } },
        fields: ["id", "name"],
        async count() {
          let n = 0;
          for (const o of await store.list("dst-bucket", "", AbortSignal.timeout(10_000))) {
            const s = await store.get("dst-bucket", o.key, AbortSignal.timeout(10_000));
            for await (const chunk of s) n += String(chunk).split("\n").filter(Boolean).length;
          }
          return n;
        },
        close: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  Redshift: {
    destinationProperties: { object: "public.orders", intermediateBucketName: "stage-bucket" },
    profile: {
      properties: {
        databaseUrl: "jdbc:redshift://127.0.0.1:5432/test",
        bucketName: "stage-bucket",
        roleArn: "arn:aws:iam::123456789012:role/copy",
      },
      credentials: { username: "postgres", password: "contract-secret-pw" },
    },
    secret: "contract-secret-pw",
    async liveDestination() {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-contract-rs-"));
      const env: ConnectorEnvironment = { ...baseEnv, dataDir, s3: {} };
      const schema = `contract_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`CREATE TABLE ${schema}.t (id integer PRIMARY KEY, name text)`);
      return {
        env,
        properties: { object: `${schema}.t`, intermediateBucketName: "stage-bucket" },
        profile: {
          connectorProfileName: "contract",
          connectorType: "Redshift",
          properties: { databaseUrl: "jdbc:redshift://127.0.0.1:5432/test" },
          credentials: { username: "postgres", password: "contract-secret-pw" },
        },
        fields: ["id", "name"],
        async count() {
          return (await admin.query(`SELECT count(*)::int AS n FROM ${schema}.t`)).rows[0].n;
        },
        async close() {
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.end();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  Salesforce: {
    sourceProperties: { object: "Account", dataTransferApi: "BULKV2", includeDeletedRecords: true },
    destinationProperties: {
      object: "Account",
      writeOperationType: "UPSERT",
      idFieldNames: ["External_Id__c"],
    },
    profile: {
      // A closed port: the connection test fails without reaching anything.
      properties: { instanceUrl: "http://127.0.0.1:9", isSandboxEnvironment: false },
      credentials: { accessToken: "00Dcontract!secret-access-token", refreshToken: "5Aepcontract-refresh" },
    },
    secret: "00Dcontract!secret-access-token",
    async liveDestination() {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), "sluice-contract-sf-"));
      const fake = await startFakeSalesforce({ records: 0, ingestJobQueuedMs: 0, ingestJobMs: 0 });
      return {
        env: { ...baseEnv, dataDir, s3: {} },
        properties: { object: "Account", writeOperationType: "INSERT", dataTransferApi: "REST_SYNC" },
        profile: {
          connectorProfileName: "contract",
          connectorType: "Salesforce",
          properties: { instanceUrl: fake.instanceUrl },
          credentials: { accessToken: fake.issueAccessToken() },
        },
        fields: ["NumberOfEmployees", "Name"],
        async count() {
          return fake.records("Account").filter((r) => String(r.Name).startsWith("r")).length;
        },
        async close() {
          await fake.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
};

/**
 * Connector profiles (Redshift over the test PostgreSQL) through raw signed requests, so that every
 * response body can be searched for the password: it must never come back, in any answer or error.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, PG_URL } from "../helpers/backends.ts";
import { copyTasks } from "../helpers/flows.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { rawRequest } from "./api-helpers.ts";

const PASSWORD = "Pr0file-Secret-7f3a9c";
const pgUrl = new URL(PG_URL);
const jdbc = (db = pgUrl.pathname) => `jdbc:redshift://${pgUrl.hostname}:${pgUrl.port || 5432}${db}`;

const profileBody = (name: string, databaseUrl = jdbc()) => ({
  connectorProfileName: name,
  connectorType: "Redshift",
  connectionMode: "Public",
  connectorProfileConfig: {
    connectorProfileProperties: {
      Redshift: {
        databaseUrl,
        bucketName: "sluice-staging",
        roleArn: "arn:aws:iam::000000000000:role/sluice",
      },
    },
    connectorProfileCredentials: { Redshift: { username: pgUrl.username || "postgres", password: PASSWORD } },
  },
});

const redshiftProps = (d: Record<string, unknown> | undefined) =>
  (d?.connectorProfileProperties as { Redshift?: Record<string, unknown> } | undefined)?.Redshift;

interface Answer {
  status: number;
  type?: string;
  json: Record<string, unknown>;
}

for (const backend of backends) {
  describe(`connector profiles (${backend})`, async () => {
    // Profiles are tested against a real database when created: PostgreSQL is needed on both backends.
    const skip = (await pgSkipReason(backend)) ?? (await pgSkipReason("postgres"));
    let s: TestServer;
    const bodies: string[] = [];
    const call = async (path: string, body: unknown): Promise<Answer> => {
      const res = await rawRequest(s.sluice.url, { path, body: JSON.stringify(body) });
      bodies.push(res.body);
      const type = res.headers["x-amzn-errortype"];
      return {
        status: res.status,
        type: typeof type === "string" ? type : undefined,
        json: JSON.parse(res.body),
      };
    };
    const describeProfiles = async (body: unknown = {}) => {
      const r = await call("/describe-connector-profiles", body);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json as { connectorProfileDetails: Record<string, unknown>[]; nextToken?: string };
    };
    before(async () => {
      if (!skip) s = await startTestServer(backend);
    });
    after(async () => {
      // Whatever else failed: not one answer carried the password.
      for (const b of bodies) assert.ok(!b.includes(PASSWORD), `a response carried the password: ${b}`);
      await s?.close();
    });

    test("create, then describe: no credentials in the answer", { skip }, async () => {
      const created = await call("/create-connector-profile", profileBody("warehouse"));
      assert.equal(created.status, 200, JSON.stringify(created.json));
      assert.equal(
        created.json.connectorProfileArn,
        "arn:aws:appflow:us-east-1:000000000000:connectorprofile/warehouse",
      );
      const [d] = (await describeProfiles({ connectorProfileNames: ["warehouse"] })).connectorProfileDetails;
      assert.equal(d?.connectorProfileName, "warehouse");
      assert.equal(d?.connectorType, "Redshift");
      assert.equal(d?.connectionMode, "Public");
      assert.match(String(d?.credentialsArn), /^arn:aws:secretsmanager:/);
      assert.deepEqual(
        d?.connectorProfileProperties,
        profileBody("x").connectorProfileConfig.connectorProfileProperties,
      );
      assert.equal(typeof d?.createdAt, "number");
      assert.ok(!("connectorProfileCredentials" in (d ?? {})));
      assert.ok(!JSON.stringify(d).includes("password"), "not even the member name");
    });

    test("a second profile of the same name is ConflictException", { skip }, async () => {
      await call("/create-connector-profile", profileBody("twice"));
      const again = await call("/create-connector-profile", profileBody("twice", jdbc("/other")));
      assert.equal(again.status, 409);
      assert.equal(again.type, "ConflictException");
      const [d] = (await describeProfiles({ connectorProfileNames: ["twice"] })).connectorProfileDetails;
      assert.equal(redshiftProps(d)?.databaseUrl, jdbc());
    });

    test("a profile whose database can't be reached is refused without echoing the password", {
      skip,
    }, async () => {
      const bad = await call(
        "/create-connector-profile",
        profileBody("broken", jdbc("/no_such_database_xyz")),
      );
      assert.ok(["ConnectorServerException", "ConnectorAuthenticationException"].includes(String(bad.type)));
      assert.ok(bad.status >= 400 && bad.status < 500);
      assert.deepEqual(
        (await describeProfiles({ connectorProfileNames: ["broken"] })).connectorProfileDetails,
        [],
      );
    });

    test("a password in databaseUrl is a ValidationException naming the credentials member; nothing is stored", {
      skip,
    }, async () => {
      const url = `jdbc:redshift://postgres:${PASSWORD}@${pgUrl.hostname}:${pgUrl.port || 5432}${pgUrl.pathname}`;
      const r = await call("/create-connector-profile", profileBody("url-secret", url));
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.type, "ValidationException");
      assert.match(String(r.json.message), /databaseUrl.*connectorProfileCredentials\.Redshift\.password/);
      assert.deepEqual(
        (await describeProfiles({ connectorProfileNames: ["url-secret"] })).connectorProfileDetails,
        [],
      );
    });

    test("S3 profiles are refused: the S3 connector needs none", { skip }, async () => {
      const r = await call("/create-connector-profile", {
        connectorProfileName: "s3-profile",
        connectorType: "S3",
        connectionMode: "Public",
        connectorProfileConfig: { connectorProfileProperties: {} },
      });
      assert.equal(r.status, 400);
      assert.equal(r.type, "ValidationException");
    });

    test("update: properties change, ARN and name stay; a missing profile is ResourceNotFound", {
      skip,
    }, async () => {
      await call("/create-connector-profile", profileBody("updatable"));
      const before = (await describeProfiles({ connectorProfileNames: ["updatable"] }))
        .connectorProfileDetails[0];
      const next = profileBody("updatable");
      next.connectorProfileConfig.connectorProfileProperties.Redshift.bucketName = "other-staging";
      const { connectorProfileName, connectionMode, connectorProfileConfig } = next;
      const r = await call("/update-connector-profile", {
        connectorProfileName,
        connectionMode,
        connectorProfileConfig,
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.connectorProfileArn, before?.connectorProfileArn);
      const after = (await describeProfiles({ connectorProfileNames: ["updatable"] }))
        .connectorProfileDetails[0];
      assert.equal(redshiftProps(after)?.bucketName, "other-staging");
      assert.ok(Number(after?.lastUpdatedAt) >= Number(before?.lastUpdatedAt));
      const missing = await call("/update-connector-profile", {
        connectorProfileName: "ghost",
        connectionMode,
        connectorProfileConfig,
      });
      assert.equal(missing.status, 404);
      assert.equal(missing.type, "ResourceNotFoundException");
    });

    test("delete: missing is ResourceNotFound; in use by a flow is Conflict unless forceDelete", {
      skip,
    }, async () => {
      const missing = await call("/delete-connector-profile", { connectorProfileName: "ghost" });
      assert.equal(missing.status, 404);
      assert.equal(missing.type, "ResourceNotFoundException");
      await call("/create-connector-profile", profileBody("in-use"));
      const flow = await call("/create-flow", {
        flowName: "uses-profile",
        triggerConfig: { triggerType: "OnDemand" },
        sourceFlowConfig: { connectorType: "S3", sourceConnectorProperties: { S3: { bucketName: "inbox" } } },
        destinationFlowConfigList: [
          {
            connectorType: "Redshift",
            connectorProfileName: "in-use",
            destinationConnectorProperties: {
              Redshift: { object: "public.t", intermediateBucketName: "staging" },
            },
          },
        ],
        tasks: copyTasks(),
      });
      assert.equal(flow.status, 200, JSON.stringify(flow.json));
      const described = await call("/describe-flow", { flowName: "uses-profile" });
      assert.equal(described.status, 200);
      const refused = await call("/delete-connector-profile", { connectorProfileName: "in-use" });
      assert.equal(refused.status, 409);
      assert.equal(refused.type, "ConflictException");
      assert.match(String(refused.json.message), /uses-profile/);
      assert.equal(
        (await describeProfiles({ connectorProfileNames: ["in-use"] })).connectorProfileDetails.length,
        1,
      );
      const forced = await call("/delete-connector-profile", {
        connectorProfileName: "in-use",
        forceDelete: true,
      });
      assert.equal(forced.status, 200);
      assert.equal(
        (await describeProfiles({ connectorProfileNames: ["in-use"] })).connectorProfileDetails.length,
        0,
      );
      await call("/create-connector-profile", profileBody("unused"));
      assert.equal((await call("/delete-connector-profile", { connectorProfileName: "unused" })).status, 200);
    });

    test("DescribeConnectorProfiles filters and pages with maxResults/nextToken", { skip }, async () => {
      for (const n of ["page-a", "page-b", "page-c", "page-d", "page-e"]) {
        await call("/create-connector-profile", profileBody(n));
      }
      const all = (await describeProfiles({ connectorType: "Redshift", maxResults: 100 }))
        .connectorProfileDetails;
      const names = all.map((d) => String(d.connectorProfileName));
      for (const n of ["page-a", "page-e"]) assert.ok(names.includes(n));
      const paged: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await describeProfiles({ maxResults: 2, nextToken: token });
        assert.ok(page.connectorProfileDetails.length <= 2);
        paged.push(...page.connectorProfileDetails.map((d) => String(d.connectorProfileName)));
        token = page.nextToken;
        pages++;
      } while (token && pages < 50);
      assert.deepEqual(paged, names, "pages cover every profile once, in order");
      assert.ok(pages >= 3);
      assert.deepEqual((await describeProfiles({ connectorType: "S3" })).connectorProfileDetails, []);
      const subset = await describeProfiles({ connectorProfileNames: ["page-b", "page-d", "nope"] });
      assert.deepEqual(
        subset.connectorProfileDetails.map((d) => d.connectorProfileName),
        ["page-b", "page-d"],
      );
      const bad = await call("/describe-connector-profiles", { nextToken: "bm90IGEgdG9rZW4" });
      assert.equal(bad.status, 400);
      assert.equal(bad.type, "ValidationException");
      const tooMany = await call("/describe-connector-profiles", { maxResults: 101 });
      assert.equal(tooMany.type, "ValidationException");
      assert.match(String(tooMany.json.message), /maxResults/);
    });
  });
}

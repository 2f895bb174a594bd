/**
 * The fake's SOQL evaluator (through the REST query endpoint): projection, filters AppFlow pushes down
 * (AND/OR/NOT, comparisons, LIKE, IN/NOT IN, date and datetime literals, the incremental
 * `SystemModstamp > …`), ORDER BY / LIMIT / OFFSET, COUNT(), and Salesforce's 400 errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SEED_BASE_MS } from "./salesforce/seed.ts";
import { type FakeSalesforce, startFakeSalesforce } from "./salesforce/server.ts";
import { client, refresh } from "./salesforce-client.ts";

type Page = { totalSize: number; records: Record<string, unknown>[] };
type Err = { errorCode: string; message: string }[];

describe("fake Salesforce: SOQL", () => {
  let fake: FakeSalesforce;
  let api: ReturnType<typeof client>;
  before(async () => {
    fake = await startFakeSalesforce({ records: 60 });
    api = client(fake, await refresh(fake));
  });
  after(() => fake.stop());

  const rows = async (q: string): Promise<Record<string, unknown>[]> => {
    const r = await api.query(q);
    assert.equal(r.status, 200, `${q}: ${r.status}`);
    return ((await r.json()) as Page).records;
  };
  const error = async (q: string): Promise<{ status: number; body: Err }> => {
    const r = await api.query(q);
    return { status: r.status, body: (await r.json()) as Err };
  };
  const all = (object: string) => fake.records(object);

  test("filters match what the records hold", async () => {
    const accounts = all("Account");
    const big = await rows(
      "SELECT Id, NumberOfEmployees FROM Account WHERE NumberOfEmployees >= 2500 AND NOT (Industry = 'Energy')",
    );
    assert.deepEqual(
      big.map((r) => r.Id),
      accounts
        .filter((a) => (a.NumberOfEmployees as number) >= 2500 && a.Industry !== "Energy")
        .map((a) => a.Id),
    );
    const inList = await rows(
      "SELECT Id FROM Account WHERE Industry IN ('Retail', 'Banking') OR Name LIKE 'acme%'",
    );
    assert.deepEqual(
      inList.map((r) => r.Id),
      accounts
        .filter((a) => a.Industry === "Retail" || a.Industry === "Banking" || /^acme/i.test(String(a.Name)))
        .map((a) => a.Id),
    );
    const notIn = await rows("SELECT Id FROM Account WHERE Industry NOT IN ('Retail')");
    assert.equal(notIn.length, accounts.filter((a) => a.Industry !== "Retail").length);
    const opps = await rows(
      "SELECT Id, CloseDate FROM Opportunity WHERE CloseDate >= 2024-06-01 AND CloseDate < 2024-07-01",
    );
    assert.ok(opps.length > 0 && opps.every((o) => String(o.CloseDate).startsWith("2024-06")));
    const blank = fake.insert("Account", { Name: "No industry" });
    assert.deepEqual(
      (await rows("SELECT Id FROM Account WHERE Industry = null")).map((r) => r.Id),
      [blank],
    );
    const notRetail = (await rows("SELECT Id FROM Account WHERE Industry != 'Retail'")).map((r) => r.Id);
    assert.ok(notRetail.includes(blank), "SOQL's != keeps nulls");
    assert.ok(
      (await rows("SELECT Id FROM Account WHERE Industry NOT IN ('Retail')")).some((r) => r.Id === blank),
    );
    fake.delete("Account", blank);
    const emails = await rows(
      "SELECT Email FROM Contact WHERE Email != null AND HasOptedOutOfEmail = false LIMIT 5",
    );
    assert.equal(emails.length, 5);
  });

  test("incremental pulls on SystemModstamp with a datetime literal", async () => {
    const cut = new Date(SEED_BASE_MS + 30 * 60_000).toISOString().replace(".000Z", "Z");
    const newer = await rows(
      `SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp > ${cut} ORDER BY SystemModstamp`,
    );
    const expected = all("Account").filter(
      (a) => Date.parse(String(a.SystemModstamp).replace("+0000", "Z")) > Date.parse(cut),
    );
    assert.equal(newer.length, expected.length);
    assert.ok(newer.length > 0 && newer.length < 60);
    assert.match(String(newer[0]!.SystemModstamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    const withOffset = await rows(
      `SELECT Id FROM Account WHERE SystemModstamp > ${cut.replace("Z", "+00:00")}`,
    );
    assert.equal(withOffset.length, expected.length);
    const id = fake.insert("Account", { Name: "Fresh" });
    const today = await rows("SELECT Id FROM Account WHERE CreatedDate = TODAY");
    assert.deepEqual(
      today.map((r) => r.Id),
      [id],
    );
    assert.deepEqual(
      (await rows("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:1")).map((r) => r.Id),
      [id],
    );
  });

  test("ORDER BY, OFFSET, LIMIT and COUNT()", async () => {
    const desc = await rows(
      "SELECT Name, AnnualRevenue FROM Account ORDER BY AnnualRevenue DESC NULLS LAST LIMIT 3 OFFSET 1",
    );
    const sorted = all("Account")
      .map((a) => a.AnnualRevenue as number | null)
      .filter((x) => x !== null)
      .sort((a, b) => b! - a!);
    assert.deepEqual(
      desc.map((r) => r.AnnualRevenue),
      sorted.slice(1, 4),
    );
    const count = (await (
      await api.query("SELECT COUNT() FROM Contact WHERE HasOptedOutOfEmail = true")
    ).json()) as Page;
    assert.equal(count.totalSize, all("Contact").filter((c) => c.HasOptedOutOfEmail === true).length);
  });

  test("bad queries answer 400 with Salesforce's error codes", async () => {
    const malformed = await error("SELECT Id FRM Account");
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body[0]!.errorCode, "MALFORMED_QUERY");
    assert.match(malformed.body[0]!.message, /ERROR at Row:1:Column:11/);
    const field = await error("SELECT Id, Nope FROM Account");
    assert.equal(field.body[0]!.errorCode, "INVALID_FIELD");
    assert.match(field.body[0]!.message, /No such column 'Nope' on entity 'Account'/);
    const type = await error("SELECT Id FROM Nope");
    assert.equal(type.body[0]!.errorCode, "INVALID_TYPE");
    const quoted = await error("SELECT Id FROM Account WHERE CreatedDate > '2024-01-01'");
    assert.equal(quoted.body[0]!.errorCode, "INVALID_QUERY_FILTER_OPERATOR");
    const unfilterable = await error("SELECT Id FROM Account WHERE Description = 'x'");
    assert.equal(unfilterable.body[0]!.errorCode, "INVALID_FIELD");
    const fn = await error("SELECT MAX(AnnualRevenue) FROM Account");
    assert.equal(fn.body[0]!.errorCode, "MALFORMED_QUERY");
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCredentialStore, loadCredentials } from "../../src/api/protocol/credentials.ts";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-creds-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const twoKeys = {
  keys: [
    {
      accessKeyId: "AKIAREADER",
      secretAccessKey: "r",
      accountId: "123456789012",
      userName: "reader",
      policy: { allow: [{ actions: ["appflow:Describe*"], resources: ["*"] }] },
    },
    { accessKeyId: "AKIAADMIN", secretAccessKey: "a", accountId: "210987654321" },
  ],
};

test("no file and no path: exactly the default development key test/test with full access", (t) => {
  const store = loadCredentials(undefined, tempDir(t));
  assert.equal(store.source, "default");
  assert.equal(store.keys.length, 1);
  const key = store.lookup("test");
  assert.deepEqual(key, {
    accessKeyId: "test",
    secretAccessKey: "test",
    accountId: "000000000000",
    userName: "test",
    principalArn: "arn:aws:iam::000000000000:user/test",
    policy: undefined,
  });
  assert.equal(store.lookup("TEST"), undefined);
});

test("<dataDir>/credentials.json is used when present", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "credentials.json"), JSON.stringify(twoKeys));
  const store = loadCredentials(undefined, dir);
  assert.equal(store.source, join(dir, "credentials.json"));
  assert.equal(store.lookup("test"), undefined, "the default key is gone once a file exists");
  assert.equal(store.lookup("AKIAREADER")?.principalArn, "arn:aws:iam::123456789012:user/reader");
  assert.deepEqual(store.lookup("AKIAREADER")?.policy, twoKeys.keys[0]!.policy);
  assert.equal(store.lookup("AKIAADMIN")?.principalArn, "arn:aws:iam::210987654321:user/AKIAADMIN");
  assert.equal(store.lookup("AKIAADMIN")?.policy, undefined);
});

test("an explicit path wins over the data dir; a missing one is a startup error", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "credentials.json"), JSON.stringify(twoKeys));
  const other = join(dir, "other.json");
  writeFileSync(
    other,
    JSON.stringify({ keys: [{ accessKeyId: "k", secretAccessKey: "s", accountId: "000000000001" }] }),
  );
  assert.deepEqual(
    loadCredentials(other, dir).keys.map((k) => k.accessKeyId),
    ["k"],
  );
  assert.throws(
    () => loadCredentials(join(dir, "nope.json"), dir),
    /Cannot read credentials file .*nope\.json: file not found/,
  );
});

test("invalid files are rejected with the member path and the rule", (t) => {
  const dir = tempDir(t);
  const write = (content: string) => {
    const path = join(dir, "c.json");
    writeFileSync(path, content);
    return path;
  };
  const key = { accessKeyId: "k", secretAccessKey: "s", accountId: "000000000001" };
  const cases: [string, RegExp][] = [
    ["{not json", /not valid JSON/],
    [JSON.stringify({ keys: [] }), /keys: must list at least one key/],
    [
      JSON.stringify({ keys: [{ ...key, accountId: "12345" }] }),
      /keys\.0\.accountId: must be exactly 12 digits/,
    ],
    [JSON.stringify({ keys: [{ ...key, accessKeyId: "a/b" }] }), /keys\.0\.accessKeyId/],
    [JSON.stringify({ keys: [{ ...key, secretAccessKey: "" }] }), /keys\.0\.secretAccessKey/],
    [JSON.stringify({ keys: [{ ...key, polcy: {} }] }), /keys\.0: Unrecognized key.*polcy/],
    [
      JSON.stringify({ keys: [key, { ...key, secretAccessKey: "x" }] }),
      /keys\.1\.accessKeyId: duplicate accessKeyId 'k'/,
    ],
    [
      JSON.stringify({ keys: [{ ...key, policy: { allow: [{ actions: ["*"] }] } }] }),
      /keys\.0\.policy\.allow\.0\.resources/,
    ],
  ];
  for (const [content, expected] of cases) {
    assert.throws(() => loadCredentials(write(content), dir), expected, content);
  }
  // The implicit file is validated too: a broken credentials.json must not fall back to the default key.
  writeFileSync(join(dir, "credentials.json"), "[]");
  assert.throws(() => loadCredentials(undefined, dir), /Invalid credentials file/);
});

test("createCredentialStore accepts parsed content directly", () => {
  const store = createCredentialStore(twoKeys, "inline");
  assert.equal(store.source, "inline");
  assert.equal(store.keys.length, 2);
});

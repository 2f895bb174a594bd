/**
 * `npm run fake:salesforce` as a user starts it: a real process that prints its instance URL, client
 * id/secret and a refresh token which work against it, with the control endpoint changing its data.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";

test("the fake:salesforce script starts a usable fake and stops on SIGTERM", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fakes/salesforce/main.ts"], {
    env: { ...process.env, SF_FAKE_PORT: "0", SF_FAKE_RECORDS: "12" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    let out = "";
    child.stdout.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: string) => {
        out += d;
        if (out.includes("Ctrl-C stops it.")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`fake exited early (${code}): ${out}`)));
    });
    const field = (name: string): string => new RegExp(`${name}:\\s+(\\S+)`).exec(out)![1]!;
    const instanceUrl = field("instanceUrl");
    assert.match(instanceUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(out, /seeded:\s+Account=12, Contact=12, Opportunity=12/);
    const token = await fetch(`${instanceUrl}/services/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: field("client id"),
        client_secret: field("client secret"),
        refresh_token: field("refresh token"),
      }).toString(),
    });
    assert.equal(token.status, 200);
    const { access_token } = (await token.json()) as { access_token: string };
    const inserted = await fetch(`${instanceUrl}/__fake/records/Account`, {
      method: "POST",
      body: JSON.stringify({ Name: "Via control" }),
    });
    assert.equal(inserted.status, 201);
    const q = await fetch(
      `${instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent("SELECT COUNT() FROM Account")}`,
      {
        headers: { authorization: `Bearer ${access_token}` },
      },
    );
    assert.deepEqual(await q.json(), { totalSize: 13, done: true, records: [] });
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
  }
  assert.equal(child.exitCode, 0);
});

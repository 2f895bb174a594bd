/**
 * Bad configuration stops `sluice serve` before it creates anything, with a message naming the
 * setting and what it allows (exit code 2); a busy port or an unusable database says so plainly.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PG_URL } from "../helpers/backends.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { runCli } from "./cli-helpers.ts";

describe("sluice serve refuses bad configuration", () => {
  let dir: string;
  let dataDir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-cfg-"));
    dataDir = join(dir, "state");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = async (args: string[], env: Record<string, string>, message: RegExp, code = 2) => {
    const r = await runCli(["serve", "--data-dir", dataDir, ...args], { env, cwd: dir });
    assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "a message, not a stack trace");
    assert.equal(existsSync(dataDir), false, "nothing is created on a refused start");
    assert.equal(existsSync(join(dir, ".sluice")), false);
  };

  test("--port abc names the flag and the range", () =>
    refused(["--port", "abc"], {}, /--port "abc" is not allowed: an integer from 0 to 65535/));

  test("--log-level verbose lists the levels", () =>
    refused(["--log-level", "verbose"], {}, /--log-level "verbose".*one of trace, debug, info, warn, error/));

  test("--workers 0 is refused on SQLite: nothing would ever run", () =>
    refused(["--workers", "0"], {}, /--workers.*0 is not allowed with SQLite/));

  test("SLUICE_MAX_RUN_MS beyond setTimeout's 2^31-1 is refused by its env name", () =>
    refused([], { SLUICE_MAX_RUN_MS: String(2 ** 31) }, /SLUICE_MAX_RUN_MS "2147483648".*2147483647/));

  test("every bad setting is listed at once", () =>
    refused(
      ["--port", "-1", "--log-format", "xml"],
      { SLUICE_BATCH_ROWS: "0" },
      /--port[\s\S]*--log-format[\s\S]*SLUICE_BATCH_ROWS/,
    ));

  test("--database-url must be postgres:// or postgresql://, and its password is not echoed", async () => {
    await refused(
      ["--database-url", "mysql://me:hunter2@db/x"],
      {},
      /--database-url "mysql:\/\/…@db\/x" is not allowed: a URL starting postgres:\/\/ or postgresql:\/\//,
    );
    const r = await runCli(["serve", "--data-dir", dataDir, "--database-url", "mysql://me:hunter2@db/x"], {
      cwd: dir,
    });
    assert.doesNotMatch(r.stderr, /hunter2/);
  });

  test("a busy port is reported before the data dir, sluice.db or master.key exist", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await refused(
        ["--port", String(port)],
        {},
        new RegExp(`port 127\\.0\\.0\\.1:${port} is already in use`),
        1,
      );
    } finally {
      blocker.close();
    }
  });

  test("a refused database connection says it is the database", async () => {
    // A port nothing listens on: bind one, note it, close it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    await refused(
      ["--port", "0", "--database-url", `postgres://postgres:pw@127.0.0.1:${port}/test`],
      {},
      new RegExp(`the database at postgres://127\\.0\\.0\\.1:${port}/test .*refused the connection`),
      1,
    );
  });

  test("a missing PostgreSQL database is reported as missing, not as unreachable", async (t) => {
    const skip = await pgSkipReason("postgres");
    if (skip) return t.skip(skip);
    const url = new URL(PG_URL);
    url.pathname = "/sluice_no_such_database";
    await refused(
      ["--port", "0", "--database-url", url.href],
      {},
      /database "sluice_no_such_database" does not exist/,
      1,
    );
  });
});

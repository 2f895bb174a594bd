/**
 * The `sluice` binary as a user runs it: `--version`, `serve` stopped by SIGTERM (directly and through
 * `npm start`, as the README says to run it), and the day-to-day commands over the signed API.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createPgProfile,
  createS3ToPgFlow,
  createS3ToS3Flow,
  createSlowTable,
  makeBucket,
  writeCsv,
} from "../helpers/flows.ts";
import { appflowClient } from "../helpers/server.ts";
import { pgSkipReason } from "../helpers/store.ts";
import { BIN, cleanEnv, exited, listeningPort, ROOT, runCli } from "./cli-helpers.ts";

const portClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });

test("sluice --version prints the package version", async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
});

for (const how of ["node bin/sluice.js serve", "npm start"] as const) {
  test(`SIGTERM to the pid of \`${how}\` stops the server`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sluice-sig-"));
    const args = ["--port", "0", "--data-dir", dataDir];
    const child =
      how === "npm start"
        ? spawn("npm", ["start", "--silent", "--", ...args], {
            cwd: ROOT,
            env: cleanEnv(),
            stdio: ["ignore", "pipe", "pipe"],
          })
        : spawn(process.execPath, [BIN, "serve", ...args], {
            cwd: ROOT,
            env: cleanEnv(),
            stdio: ["ignore", "pipe", "pipe"],
          });
    try {
      const port = await listeningPort(child);
      child.kill("SIGTERM");
      assert.equal(await exited(child), 0);
      // The server itself is gone, not just the process we signalled: nothing answers on its port.
      assert.equal(await portClosed(port), true, "the server still listens after SIGTERM");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

describe("day-to-day commands against a running server", async () => {
  const skip = await pgSkipReason("postgres");
  let dataDir: string;
  let server: ReturnType<typeof spawn>;
  let endpoint: string;
  let slow: Awaited<ReturnType<typeof createSlowTable>>;
  const cli = (...args: string[]) => runCli([...args, "--endpoint", endpoint]);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sluice-cli-"));
    server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir], {
      cwd: ROOT,
      env: cleanEnv({ SLUICE_REDSHIFT_BATCH_ROWS: "50", SLUICE_BATCH_ROWS: "50" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    endpoint = `http://127.0.0.1:${await listeningPort(server)}`;
    const client = appflowClient(endpoint);
    await writeCsv(dataDir, "cli-in", "people/a.csv", 120);
    makeBucket(dataDir, "cli-out");
    await createS3ToS3Flow(client, "people-copy", {
      inBucket: "cli-in",
      prefix: "people",
      outBucket: "cli-out",
    });
    if (!skip) {
      // Each 50-row batch into this table takes 1 s: a run stays InProgress until it is cancelled.
      slow = await createSlowTable(1000, "statement");
      await createPgProfile(client, "pg");
      await writeCsv(dataDir, "cli-in", "slow/a.csv", 5000);
      await createS3ToPgFlow(client, "slow-load", {
        inBucket: "cli-in",
        prefix: "slow",
        profile: "pg",
        table: slow.table,
      });
    }
    client.destroy();
  });
  after(async () => {
    server?.kill("SIGTERM");
    if (server) await exited(server);
    await slow?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("flows lists them; start, then runs shows the finished run as a table and as JSON", async () => {
    const flows = await cli("flows");
    assert.equal(flows.code, 0, flows.stderr);
    assert.match(flows.stdout, /^NAME\s+STATUS\s+TRIGGER/m);
    assert.match(flows.stdout, /^people-copy\s+Active\s+OnDemand\s+S3\s+S3/m);
    const started = await cli("start", "people-copy", "--json");
    assert.equal(started.code, 0, started.stderr);
    const { executionId } = JSON.parse(started.stdout) as { executionId: string };
    assert.ok(executionId);
    // `runs --watch --json` prints one document a refresh: read until this run has ended.
    const watch = spawn(
      process.execPath,
      [BIN, "runs", "people-copy", "--watch", "--json", "--interval", "0.2", "--endpoint", endpoint],
      {
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const status = await new Promise<string>((resolve, reject) => {
      let buf = "";
      watch.stdout.setEncoding("utf8").on("data", (d: string) => {
        buf += d;
        for (const line of buf.split("\n").slice(0, -1)) {
          const doc = JSON.parse(line) as {
            flowExecutions: { executionId: string; executionStatus: string }[];
          };
          const run = doc.flowExecutions.find((r) => r.executionId === executionId);
          if (run && run.executionStatus !== "InProgress") resolve(run.executionStatus);
        }
      });
      watch.once("exit", (code) => reject(new Error(`watch exited ${code}`)));
    });
    assert.equal(status, "Successful");
    watch.kill("SIGINT");
    assert.equal(await exited(watch), 0, "Ctrl-C ends the watch cleanly");
    const table = await cli("runs", "people-copy");
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^EXECUTION ID\s+STATUS\s+RECORDS\s+BYTES\s+DURATION\s+PROGRESS/m);
    assert.match(table.stdout, new RegExp(`^${executionId}\\s+Successful\\s+120\\s+\\d`, "m"));
  });

  test("runs --watch shows a progress bar while a run is in progress; cancel --all stops it", {
    skip,
  }, async () => {
    const started = await cli("start", "slow-load");
    assert.equal(started.code, 0, started.stderr);
    const id = /execution (\S+)/.exec(started.stdout)?.[1];
    assert.ok(id, started.stdout);
    const watch = spawn(
      process.execPath,
      [BIN, "runs", "slow-load", "--watch", "--interval", "0.3", "--endpoint", endpoint],
      {
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    watch.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    const until = async (re: RegExp, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`no ${what} in the watch output:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      // Progress: records counted so far and an activity bar with the throughput.
      await until(
        new RegExp(`${id}\\s+InProgress\\s+[1-9][\\d,]*\\s+.*\\[[ =]+\\] [\\d,]+ rec/s`),
        "progress bar",
      );
      const noIds = await cli("cancel", "slow-load");
      assert.equal(noIds.code, 1);
      assert.match(noIds.stderr, /name the execution ids to cancel, or --all/);
      const cancel = await cli("cancel", "slow-load", "--all");
      assert.equal(cancel.code, 0, cancel.stderr);
      await until(new RegExp(`${id}\\s+Canceled`), "Canceled");
    } finally {
      watch.kill("SIGINT");
      await exited(watch);
    }
    const json = await cli("runs", "slow-load", "--json");
    const runs = (
      JSON.parse(json.stdout) as { flowExecutions: { executionId: string; executionStatus: string }[] }
    ).flowExecutions;
    assert.equal(runs.find((r) => r.executionId === id)?.executionStatus, "Canceled");
  });

  test("API errors are one line naming the AWS error, with a non-zero exit", async () => {
    const r = await cli("runs", "no-such-flow");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sluice: ResourceNotFoundException: .*no-such-flow/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

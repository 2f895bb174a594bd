/**
 * Logs a person can read: a run that fails is logged at warn with its error message (here the local
 * bucket that doesn't exist, naming the directory looked in), and `--log-format pretty` prints lines for
 * a terminal instead of JSON.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { StartFlowCommand } from "@aws-sdk/client-appflow";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startSluice } from "../../src/main.ts";
import { createS3ToS3Flow, makeBucket, waitForRun } from "../helpers/flows.ts";
import { appflowClient, waitFor } from "../helpers/server.ts";
import { BIN, cleanEnv, exited, ROOT } from "./cli-helpers.ts";

test("a failed run's log line is a warning that says why", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-logs-"));
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const sluice = await startSluice(loadConfig({ port: 0, dataDir }, {}), createLogger("info", sink));
  const client = appflowClient(sluice.url);
  try {
    makeBucket(dataDir, "logs-out");
    // The source bucket's directory is never made: the run can only fail.
    await createS3ToS3Flow(client, "no-source", {
      inBucket: "logs-missing",
      prefix: "x",
      outBucket: "logs-out",
    });
    const id = (await client.send(new StartFlowCommand({ flowName: "no-source" }))).executionId!;
    const run = await waitForRun(
      client,
      "no-source",
      id,
      (r) => r.executionStatus === "Error",
      "the run to fail",
    );
    const dir = join(dataDir, "s3", "logs-missing");
    assert.match(run.executionResult?.errorInfo?.executionMessage ?? "", new RegExp(`no directory ${dir}`));
    const line = await waitFor(
      async () => lines.find((l) => l.executionId === id && l.status === "Error"),
      "the log line",
    );
    assert.equal(line.level, 40, "warn");
    assert.match(String(line.msg), /^run failed: The bucket "logs-missing" does not exist/);
    assert.match(String(line.error), /does not exist/);
  } finally {
    client.destroy();
    await sluice.stop(0);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("--log-format pretty prints human-readable lines; JSON is the default when stdout is not a terminal", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-pretty-"));
  const first = (format: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir, ...format], {
        cwd: ROOT,
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (!out.includes("sluice listening")) return;
        child.kill("SIGTERM");
        void exited(child).then(() => resolve(out.split("\n").find((l) => l.includes("sluice listening"))!));
      });
      child.once("exit", (code) => {
        if (!out.includes("sluice listening")) reject(new Error(`exited ${code} before listening`));
      });
    });
  try {
    const pretty = await first(["--log-format", "pretty"]);
    assert.match(pretty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: sluice listening/);
    assert.throws(() => JSON.parse(pretty));
    const json = JSON.parse(await first([])) as { level: number; msg: string };
    assert.equal(json.msg, "sluice listening");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

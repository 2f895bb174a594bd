/**
 * The README's quickstart, run as a reader would: the code blocks are read from README.md (so the README
 * can't drift from what works), the server is started with the README's command in a directory laid out
 * like the repository root, and the `quickstart` blocks run verbatim there in a second process. The one
 * liberty taken: the port. 4747 may be in use on a developer's machine, so the server gets a free one
 * (SLUICE_PORT) and the blocks' `127.0.0.1:4747` is pointed at it. `npm install` is not re-run (the test
 * runs from an installed checkout).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { describeRun, PYTHON, pythonEnv, pythonSkipReason, run } from "../helpers/python.ts";
import { cleanEnv, exited, listeningPort, ROOT } from "./cli-helpers.ts";

/** Fenced blocks of README.md whose info string is `<lang> <tag>`. */
function blocks(tag: string): { lang: string; code: string }[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: { lang: string; code: string }[] = [];
  for (const m of readme.matchAll(/^```(\w+) (\w+)\n([\s\S]*?)^```$/gm)) {
    if (m[2] === tag) out.push({ lang: m[1]!, code: m[3]! });
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("the README quickstart works as pasted", async () => {
  const skip = await pythonSkipReason({ aws: true });
  let cwd: string;
  let port: number;
  let server: ReturnType<typeof spawn> | undefined;
  const retarget = (code: string) => code.replaceAll("127.0.0.1:4747", `127.0.0.1:${port}`);

  before(async () => {
    if (skip) return;
    // The repository root as a reader has it, without copying it: its files, linked.
    cwd = mkdtempSync(join(tmpdir(), "sluice-readme-"));
    for (const f of ["package.json", "bin", "src", "node_modules"]) symlinkSync(join(ROOT, f), join(cwd, f));
    const [serverBlock] = blocks("server");
    assert.equal(serverBlock?.code.trim(), "npm install && npm start", "the README's server command");
    port = await freePort();
    server = spawn("npm", ["start", "--silent"], {
      cwd,
      env: cleanEnv({ SLUICE_PORT: String(port) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    assert.equal(await listeningPort(server), port);
  });
  after(async () => {
    if (server) {
      server.kill("SIGTERM");
      await exited(server);
    }
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  test("the shell block: create a flow, run it, find its output", { skip }, async () => {
    const [sh] = blocks("quickstart").filter((b) => b.lang === "sh");
    assert.ok(sh, "README has a ```sh quickstart block");
    const r = await run("bash", ["-euo", "pipefail", "-c", retarget(sh.code)], pythonEnv(), 180_000, cwd);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /"executionStatus": "Successful"/);
    const out = readdirSync(join(cwd, ".sluice/s3/out-bucket"), { recursive: true }).filter((f) =>
      String(f).includes("people-copy"),
    );
    assert.ok(out.length > 0, `output objects: ${out.join(", ")}`);
    assert.match(r.stdout, /\.sluice\/s3\/out-bucket\/.+/);
  });

  test("the boto3 block: a run cancelled while in progress ends Canceled", { skip }, async () => {
    const [py] = blocks("quickstart").filter((b) => b.lang === "python");
    assert.ok(py, "README has a ```python quickstart block");
    const r = await run(PYTHON, ["-c", retarget(py.code)], pythonEnv(), 180_000, cwd);
    assert.equal(r.code, 0, describeRun(r));
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "[]", "the cancel was accepted");
    assert.match(lines.at(-1) ?? "", /\sCanceled\s/, describeRun(r));
    assert.ok(existsSync(join(cwd, ".sluice/s3/in-bucket/big/part-1.csv")));
  });
});

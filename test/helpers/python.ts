/**
 * The Python side of the client tests: which interpreter runs the boto3 scripts (SLUICE_PYTHON, default
 * `python3`), the `aws` CLI, and the environment both get. Missing tools make the tests report themselves
 * skipped with the reason; in CI (SLUICE_REQUIRE_PYTHON=1) a missing tool is a failure, never a skip.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const PYTHON = process.env.SLUICE_PYTHON || "python3";
export const AWS_CLI = "aws";
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Where the seed operation first appeared in boto3's own models. */
const MIN_BOTO3 = [1, 29, 125] as const;

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for python/aws children: development credentials and region, and nothing from the
 * developer's own AWS setup (profiles, config files, endpoint overrides) that could change what is tested.
 * AWS_DATA_PATH is passed through (an older boto3 learns AppFlow's newer operations from it).
 */
export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  const dataPath = process.env.AWS_DATA_PATH;
  return {
    ...env,
    ...(dataPath ? { AWS_DATA_PATH: dataPath } : {}),
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent/sluice-test/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/sluice-test/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
    PYTHONUNBUFFERED: "1",
    // No __pycache__ in the source tree.
    PYTHONDONTWRITEBYTECODE: "1",
    ...extra,
  };
}

/** Runs a program to completion and collects its output; a spawn failure is reported as code null. */
export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = pythonEnv(),
  timeoutMs = 120_000,
  cwd = REPO_ROOT,
): Promise<ProcResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${String(err)}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const runPython = (script: string, args: string[], extra: Record<string, string> = {}) =>
  run(PYTHON, [script, ...args], pythonEnv(extra));

export const runAws = (args: string[], extra: Record<string, string> = {}) =>
  run(AWS_CLI, args, pythonEnv(extra));

/** The last line of a script's stdout, parsed: the scripts print their JSON summary last. */
export function summary<T = Record<string, unknown>>(r: ProcResult): T {
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as T;
}

/** Explains a failed child run in an assertion message. */
export const describeRun = (r: ProcResult) =>
  `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

// The probe asks botocore itself whether it knows the seed operation: that covers both a recent
// boto3 and an older one given the model through AWS_DATA_PATH.
const PROBE = `
import json, boto3, botocore.session
ops = botocore.session.get_session().get_service_model("appflow").operation_names
print(json.dumps({"boto3": boto3.__version__, "cancel": "CancelFlowExecutions" in ops}))
`;

async function boto3Problem(): Promise<string | undefined> {
  const r = await run(PYTHON, ["-c", PROBE], pythonEnv(), 30_000);
  if (r.code === null) return `${PYTHON} can't be run (set SLUICE_PYTHON): ${r.stderr.trim()}`;
  if (r.code !== 0) return `boto3 is not usable with ${PYTHON}: ${r.stderr.trim().split("\n").pop()}`;
  const { boto3: version, cancel } = summary<{ boto3: string; cancel: boolean }>(r);
  if (cancel) return undefined;
  const parts = version.split(".").map(Number);
  const old = isOlder(parts);
  return `boto3 ${version} doesn't know AppFlow's CancelFlowExecutions${
    old ? ` (needs >= ${MIN_BOTO3.join(".")}, or AWS_DATA_PATH pointing at the AppFlow model)` : ""
  }`;
}

function isOlder(parts: number[]): boolean {
  for (const [i, m] of MIN_BOTO3.entries()) {
    const p = parts[i] ?? 0;
    if (p !== m) return p < m;
  }
  return false;
}

async function awsProblem(): Promise<string | undefined> {
  const v = await run(AWS_CLI, ["--version"], pythonEnv(), 30_000);
  if (v.code !== 0) return `the aws CLI can't be run: ${v.stderr.trim() || "not found"}`;
  // Without arguments the CLI stops at its own argument check: "required" if it knows the command.
  const c = await run(AWS_CLI, ["appflow", "cancel-flow-executions"], pythonEnv(), 30_000);
  if (/Invalid choice/i.test(c.stderr))
    return `the aws CLI (${v.stdout.trim() || v.stderr.trim()}) doesn't know appflow cancel-flow-executions (set AWS_DATA_PATH)`;
  return undefined;
}

let probes: Promise<{ boto3?: string; aws?: string }> | undefined;

/**
 * Why the Python-client tests can't run, or undefined when they can. `aws: true` also requires the CLI.
 * With SLUICE_REQUIRE_PYTHON=1 a missing tool throws instead: the test file fails.
 */
export async function pythonSkipReason(opts: { aws?: boolean } = {}): Promise<string | undefined> {
  probes ??= Promise.all([boto3Problem(), awsProblem()]).then(([boto3, aws]) => ({ boto3, aws }));
  const p = await probes;
  const reason = p.boto3 ?? (opts.aws ? p.aws : undefined);
  if (reason && process.env.SLUICE_REQUIRE_PYTHON === "1")
    throw new Error(`SLUICE_REQUIRE_PYTHON=1 but ${reason}`);
  return reason;
}

/**
 * Finds the official AppFlow service model for the conformance tests without keeping a copy in the
 * repository: `SLUICE_AWS_MODELS` (a folder laid out like botocore's data dir) if set, else the model
 * botocore ships (asked through the Python the client tests use, so AWS_DATA_PATH is honoured too).
 * Where neither has it, `appflowModel()` says why, and the tests report themselves skipped with it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { PYTHON } from "./python.ts";

const SERVICE = "appflow";
const VERSION = "2020-08-23";

export type ModelResult = { model: unknown; source: string } | { model: undefined; why: string };

function fromFolder(dir: string): ModelResult {
  const base = join(dir, SERVICE, VERSION, "service-2.json");
  if (existsSync(base)) return { model: JSON.parse(readFileSync(base, "utf8")), source: base };
  if (existsSync(`${base}.gz`)) {
    return {
      model: JSON.parse(gunzipSync(readFileSync(`${base}.gz`)).toString("utf8")),
      source: `${base}.gz`,
    };
  }
  return {
    model: undefined,
    why: `SLUICE_AWS_MODELS=${dir} holds no ${SERVICE}/${VERSION}/service-2.json[.gz]`,
  };
}

// botocore's own loader: it reads .json or .json.gz and searches AWS_DATA_PATH before its data dir.
const LOAD = `
import json, sys, botocore.session
loader = botocore.session.get_session().get_component("data_loader")
sys.stdout.write(json.dumps(loader.load_service_model("${SERVICE}", "service-2", "${VERSION}")))
`;

function fromBotocore(): ModelResult {
  const r = spawnSync(PYTHON, ["-c", LOAD], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 60_000 });
  if (r.error)
    return {
      model: undefined,
      why: `${PYTHON} can't be run (${r.error.message}); set SLUICE_PYTHON or SLUICE_AWS_MODELS`,
    };
  if (r.status !== 0) {
    const last = r.stderr.trim().split("\n").pop() ?? "";
    return {
      model: undefined,
      why: `botocore (${PYTHON}) has no ${SERVICE} ${VERSION} model: ${last}; set SLUICE_AWS_MODELS`,
    };
  }
  return { model: JSON.parse(r.stdout), source: `botocore via ${PYTHON}` };
}

let cached: ModelResult | undefined;

/** The AppFlow model (parsed service-2.json), or why it isn't available here. */
export function appflowModel(): ModelResult {
  cached ??= process.env.SLUICE_AWS_MODELS ? fromFolder(process.env.SLUICE_AWS_MODELS) : fromBotocore();
  return cached;
}

/** The README's configuration table lists every setting the server reads, so a new one can't go undocumented. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { settings } from "../../src/config.ts";
import { ROOT } from "./cli-helpers.ts";

test("every setting's flag and env variable are in the README's configuration table", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## What's supported"));
  const missing: string[] = [];
  for (const [path, s] of Object.entries(settings)) {
    for (const name of [s.flag, ...(s.env ?? [])]) {
      if (name && !section.includes(`\`${name}\``)) missing.push(`${path}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

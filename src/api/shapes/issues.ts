/** Turns zod issues into one ValidationException message: `path.to[2].member: rule`. */
import type { z } from "zod";

const MAX_REPORTED = 3;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `["tasks", 2, "taskType"]` → `tasks[2].taskType`; odd map keys are quoted: `tags["a b"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (IDENTIFIER.test(p) || /^[\w:.+=/@-]+$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** The first few issues, one per member (a member breaking several rules is reported once). */
export function formatIssues(issues: readonly z.ZodIssue[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const i of issues) {
    const at = formatPath(i.path);
    if (seen.has(at)) continue;
    seen.add(at);
    parts.push(at === "" ? i.message : `${at}: ${i.message}`);
    if (parts.length === MAX_REPORTED) break;
  }
  return parts.length > 0 ? parts.join("; ") : "request is not valid";
}

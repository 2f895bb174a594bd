/**
 * Per-key authorization: a small IAM-like allow-list attached to each access key in the credentials file.
 *
 *   "policy": { "allow": [ { "actions": ["appflow:Describe*", "appflow:List*"], "resources": ["*"] },
 *                          { "actions": ["appflow:StartFlow"],
 *                            "resources": ["arn:aws:appflow:*:000000000000:flow/nightly-*"] } ] }
 *
 * - A key without a policy may do everything (the development default).
 * - A request is allowed when some statement matches both its action and its resource.
 * - Action patterns: `appflow:CancelFlowExecutions`, `appflow:Describe*`, `appflow:*` or `*`; matched
 *   case-insensitively, as IAM matches action names. A pattern without a `service:` prefix means `appflow:`.
 * - Resource patterns: ARNs with `*` (any run of characters, `:` and `/` included) and `?` (exactly one
 *   character) wildcards, matched case-sensitively, as IAM matches ARNs. Operations that act on no single
 *   resource (ListFlows, ListConnectors, ...) are checked against the resource `*`, which — as in IAM — only
 *   a `*` resource pattern matches.
 * There is no Deny: a key is limited by what its allow-list leaves out.
 */
import { z } from "zod";
import { AccessDeniedError } from "../../domain/errors.ts";

const patternList = z.array(z.string().min(1)).min(1);

export const policySchema = z
  .object({
    allow: z.array(z.object({ actions: patternList, resources: patternList }).strict()),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyStatement = Policy["allow"][number];

/** A policy that allows every action on every resource (the development default). */
export const fullAccessPolicy: Policy = { allow: [{ actions: ["appflow:*"], resources: ["*"] }] };

/**
 * IAM-style wildcard match: `*` matches any (possibly empty) run, `?` exactly one character. Linear-time
 * greedy matching with one backtrack point, so hostile patterns like `*a*a*a*b` cannot blow up as a regex could.
 */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length) {
    const pc = p[pi];
    if (pc === "*") {
      starP = pi++;
      starV = vi;
    } else if (pc !== undefined && (pc === "?" || pc === v[vi])) {
      pi++;
      vi++;
    } else if (starP >= 0) {
      // Let the last star swallow one more character and retry from there.
      pi = starP + 1;
      vi = ++starV;
    } else {
      return false;
    }
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}

/** `CancelFlowExecutions` → `appflow:CancelFlowExecutions`; already-qualified names are kept. */
function qualifyAction(action: string): string {
  return action === "*" || action.includes(":") ? action : `appflow:${action}`;
}

/** True when `policy` lets its holder perform `action` (e.g. `appflow:StartFlow` or `StartFlow`) on `resourceArn`. */
export function isAllowed(policy: Policy | undefined, action: string, resourceArn: string): boolean {
  if (policy === undefined) return true;
  const qualified = qualifyAction(action);
  return policy.allow.some(
    (statement) =>
      statement.actions.some((pattern) => wildcardMatch(qualifyAction(pattern), qualified, true)) &&
      statement.resources.some((pattern) => wildcardMatch(pattern, resourceArn)),
  );
}

/** The message AWS writes for an IAM denial: `User: <arn> is not authorized to perform: <action> on resource: <arn>`. */
export function accessDeniedMessage(principalArn: string, action: string, resourceArn: string): string {
  return `User: ${principalArn} is not authorized to perform: ${qualifyAction(action)} on resource: ${resourceArn}`;
}

/** Throws AccessDeniedError (403 AccessDeniedException) unless the policy allows the action on the resource. */
export function authorize(
  principal: { principalArn: string; policy?: Policy | undefined },
  action: string,
  resourceArn: string,
): void {
  if (!isAllowed(principal.policy, action, resourceArn)) {
    throw new AccessDeniedError(accessDeniedMessage(principal.principalArn, action, resourceArn));
  }
}

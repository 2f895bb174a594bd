/** ARNs as AppFlow writes them: arn:aws:appflow:<region>:<account>:flow/<name> (and connectorprofile/<name>). */
import { ValidationError } from "./errors.ts";

export function flowArn(region: string, accountId: string, name: string): string {
  return `arn:aws:appflow:${region}:${accountId}:flow/${name}`;
}

export function connectorProfileArn(region: string, accountId: string, name: string): string {
  return `arn:aws:appflow:${region}:${accountId}:connectorprofile/${name}`;
}

export interface ParsedArn {
  region: string;
  accountId: string;
  resourceType: "flow" | "connectorprofile";
  name: string;
}

const arnPattern = /^arn:aws:appflow:([a-z0-9-]+):(\d{12}):(flow|connectorprofile)\/(.+)$/;

export function parseAppFlowArn(arn: string): ParsedArn | undefined {
  const m = arnPattern.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, accountId: m[2]!, resourceType: m[3] as ParsedArn["resourceType"], name: m[4]! };
}

export function parseFlowArn(arn: string): ParsedArn {
  const p = parseAppFlowArn(arn);
  if (!p) throw new ValidationError(`resourceArn: ${arn} is not an AppFlow flow or connector profile ARN`);
  return p;
}

/**
 * The connected app's client id and secret, from the secret `clientCredentialsArn` names. Sluice reads
 * secrets from a local file, `<dataDir>/secrets.json` (docs/salesforce.md):
 *
 *   { "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-app": { "clientId": "…", "clientSecret": "…" } }
 *
 * The file should be mode 0600; it is read on every resolution (so an edit needs no restart) and its
 * contents are never logged or put in messages. AWS Secrets Manager itself is not called.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConnectorAuthenticationError } from "../../domain/errors.ts";

export interface ClientSecret {
  clientId: string;
  clientSecret?: string;
}

export const SECRETS_FILE = "secrets.json";

export async function resolveClientSecret(dataDir: string, arn: string): Promise<ClientSecret> {
  const file = join(dataDir, SECRETS_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new ConnectorAuthenticationError(
      `clientCredentialsArn ${arn} could not be resolved: Sluice reads client credentials from ${SECRETS_FILE} in its data directory, which does not exist (AWS Secrets Manager is not supported)`,
    );
  }
  let all: unknown;
  try {
    all = JSON.parse(text);
  } catch {
    throw new ConnectorAuthenticationError(`${SECRETS_FILE} in the data directory is not valid JSON`);
  }
  const entry = (all as Record<string, unknown> | null)?.[arn];
  if (!entry || typeof entry !== "object")
    throw new ConnectorAuthenticationError(
      `clientCredentialsArn ${arn} is not in ${SECRETS_FILE} in the data directory`,
    );
  const { clientId, clientSecret } = entry as Record<string, unknown>;
  if (typeof clientId !== "string" || clientId === "")
    throw new ConnectorAuthenticationError(`the secret ${arn} has no clientId`);
  if (clientSecret !== undefined && typeof clientSecret !== "string")
    throw new ConnectorAuthenticationError(`the secret ${arn} has a clientSecret that is not a string`);
  return { clientId, ...(clientSecret ? { clientSecret } : {}) };
}

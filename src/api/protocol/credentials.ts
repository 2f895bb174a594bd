/**
 * The access keys Sluice accepts. They live in a JSON file: `<dataDir>/credentials.json`, or the file
 * named by `--credentials FILE`. Format:
 *
 *   {
 *     "keys": [
 *       {
 *         "accessKeyId": "test",           // required; 1-128 characters of A-Z a-z 0-9 _ . -  (unique)
 *         "secretAccessKey": "test",       // required; 1-256 characters
 *         "accountId": "000000000000",     // required; the 12-digit account the key acts in
 *         "userName": "dev",               // optional; IAM-style user name, defaults to the accessKeyId
 *         "policy": {                      // optional; no policy = full access (see policy.ts)
 *           "allow": [ { "actions": ["appflow:*"], "resources": ["*"] } ]
 *         }
 *       }
 *     ]
 *   }
 *
 * Each key acts as the principal `arn:aws:iam::<accountId>:user/<userName>` (shown in AccessDenied messages).
 * Unknown fields are rejected, so a typo ("polcy") fails at startup instead of silently granting full access.
 * When no file is given and `<dataDir>/credentials.json` does not exist, Sluice accepts exactly one
 * development key, `test` / `test`, for account 000000000000 with full access — what the AWS CLI, boto3
 * and the JS SDK are usually configured with against local emulators. Nothing is written to disk.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type Policy, policySchema } from "./policy.ts";

export const CREDENTIALS_FILE_NAME = "credentials.json";

const keySchema = z
  .object({
    // No "/" allowed: the key id is the first segment of the SigV4 credential scope.
    accessKeyId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, "must be 1-128 characters of A-Z, a-z, 0-9, '_', '.', '-'"),
    secretAccessKey: z.string().min(1).max(256),
    accountId: z.string().regex(/^\d{12}$/, "must be exactly 12 digits"),
    userName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, "must be 1-64 characters of letters, digits and _+=,.@-")
      .optional(),
    policy: policySchema.optional(),
  })
  .strict();

const fileSchema = z
  .object({ keys: z.array(keySchema).min(1, "must list at least one key") })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.keys.forEach((key, index) => {
      if (seen.has(key.accessKeyId)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["keys", index, "accessKeyId"],
          message: `duplicate accessKeyId '${key.accessKeyId}'`,
        });
      }
      seen.add(key.accessKeyId);
    });
  });

export type CredentialsFile = z.infer<typeof fileSchema>;

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName: string;
  /** `arn:aws:iam::<accountId>:user/<userName>` */
  principalArn: string;
  /** Undefined means full access. */
  policy?: Policy | undefined;
}

export interface CredentialStore {
  lookup(accessKeyId: string): Credential | undefined;
  readonly keys: readonly Credential[];
  /** The file the keys came from, or "default" for the built-in development key. */
  readonly source: string;
}

export const DEFAULT_CREDENTIALS: CredentialsFile = {
  keys: [{ accessKeyId: "test", secretAccessKey: "test", accountId: "000000000000" }],
};

function toCredential(key: CredentialsFile["keys"][number]): Credential {
  const userName = key.userName ?? key.accessKeyId;
  return {
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    accountId: key.accountId,
    userName,
    principalArn: `arn:aws:iam::${key.accountId}:user/${userName}`,
    policy: key.policy,
  };
}

/** Builds a store from already-parsed content (throws a readable Error when it does not validate). */
export function createCredentialStore(content: unknown, source: string): CredentialStore {
  const parsed = fileSchema.safeParse(content);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`Invalid credentials file ${source}: ${problems.join("; ")}`);
  }
  const keys = parsed.data.keys.map(toCredential);
  const byId = new Map(keys.map((k) => [k.accessKeyId, k]));
  return { keys, source, lookup: (accessKeyId) => byId.get(accessKeyId) };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(err);
    throw new Error(`Cannot read credentials file ${path}: ${reason}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`Invalid credentials file ${path}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Loads the access keys: from `path` when given (missing or invalid → Error), else from
 * `<dataDir>/credentials.json` when it exists (invalid → Error), else the default development key.
 */
export function loadCredentials(path: string | undefined, dataDir: string): CredentialStore {
  if (path !== undefined) return createCredentialStore(readJson(path), path);
  const implicit = join(dataDir, CREDENTIALS_FILE_NAME);
  if (existsSync(implicit)) return createCredentialStore(readJson(implicit), implicit);
  return createCredentialStore(DEFAULT_CREDENTIALS, "default");
}

/**
 * Connector credentials at rest: AES-256-GCM with a server key, never stored or logged in clear.
 * The key comes from SLUICE_MASTER_KEY (base64 of 32 bytes) or `<dataDir>/master.key`, created
 * with mode 0600 on first start.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32)
      throw new Error("the master key must be 32 bytes (base64-encoded in SLUICE_MASTER_KEY)");
  }

  /** Envelope: v1.<iv>.<tag>.<ciphertext>, base64url parts. */
  seal(plain: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([c.update(JSON.stringify(plain), "utf8"), c.final()]);
    return ["v1", iv, c.getAuthTag(), body]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open<T = unknown>(envelope: string): T {
    const [v, iv, tag, body] = envelope.split(".");
    if (v !== "v1" || !iv || !tag || body === undefined) throw new Error("unreadable credentials envelope");
    const d = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    d.setAuthTag(Buffer.from(tag, "base64url"));
    const plain = Buffer.concat([d.update(Buffer.from(body, "base64url")), d.final()]).toString("utf8");
    return JSON.parse(plain) as T;
  }
}

export function loadMasterKey(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, "base64");
  const file = join(dataDir, "master.key");
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  // wx: two processes starting at once never overwrite each other's key.
  writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

/**
 * OAuth 2.0 for the fake: /services/oauth2/token with the refresh_token, JWT bearer
 * (urn:ietf:params:oauth:grant-type:jwt-bearer) and client_credentials grants, /services/oauth2/revoke,
 * and the access-token check every API call makes.
 *
 * Docs: Salesforce Help, "OAuth 2.0 Refresh Token Flow for Renewed Sessions", "OAuth 2.0 JWT Bearer Flow
 * for Server-to-Server Integration" (claims iss = consumer key, sub = username, aud = login URL, exp;
 * RS256 signature checked against the connected app's certificate), "OAuth 2.0 Client Credentials Flow
 * for Server-to-Server Integration", "Revoke OAuth Tokens"; REST API Developer Guide, "Understanding the
 * OAuth Refresh Token Process" (request form parameters; response access_token, instance_url, id,
 * token_type, issued_at, signature; an expired token answers "Session expired or invalid"). Token
 * errors are `{"error": …, "error_description": …}` with HTTP 400 (invalid_grant "expired access/refresh
 * token", invalid_client_id "client identifier invalid", invalid_client "invalid client credentials",
 * unsupported_grant_type "grant type not supported").
 */
import {
  createHmac,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";

export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  username: string;
  orgId: string;
  userId: string;
  instanceUrl: () => string;
  now: () => number;
  ttlMs: () => number;
}

interface AccessToken {
  expiresAt: number;
  expired: boolean;
}

export type TokenAnswer = { status: number; body: Record<string, string> };

const err = (error: string, description: string): TokenAnswer => ({
  status: 400,
  body: { error, error_description: description },
});

export class OAuthServer {
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, { revoked: boolean }>();
  private keys?: { publicKey: KeyObject; privateKey: KeyObject };

  /** The connected app's JWT key pair, made on first use (RSA generation costs about a second). */
  get jwtKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
    this.keys ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
    return this.keys as { publicKey: KeyObject; privateKey: KeyObject };
  }

  constructor(private readonly cfg: OAuthConfig) {}

  /** A refresh token for the fake's one user, as if the web-server flow had run. */
  issueRefreshToken(): string {
    const t = `5Aep861${randomBytes(24).toString("base64url")}`;
    this.refresh.set(t, { revoked: false });
    return t;
  }

  issueAccessToken(): string {
    const t = `${this.cfg.orgId}!${randomBytes(32).toString("base64url")}`;
    this.access.set(t, { expiresAt: this.cfg.now() + this.cfg.ttlMs(), expired: false });
    return t;
  }

  /** Expires one access token, or every one issued so far: the next call with it answers 401. */
  expireAccessTokens(token?: string): number {
    let n = 0;
    for (const [t, a] of this.access) {
      if (token === undefined || t === token) {
        a.expired = true;
        n++;
      }
    }
    return n;
  }

  revokeRefreshToken(token?: string): number {
    let n = 0;
    for (const [t, r] of this.refresh) {
      if (token === undefined || t === token) {
        r.revoked = true;
        n++;
      }
    }
    return n;
  }

  /** True when the Authorization header carries a live access token ("Bearer x" or "OAuth x"). */
  valid(header: string | undefined): boolean {
    const m = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(header ?? "");
    const a = m ? this.access.get(m[1]!) : undefined;
    return !!a && !a.expired && a.expiresAt > this.cfg.now();
  }

  private grant(withRefresh?: string): TokenAnswer {
    const token = this.issueAccessToken();
    const issued = String(this.cfg.now());
    const instance = this.cfg.instanceUrl();
    const body: Record<string, string> = {
      access_token: token,
      signature: createHmac("sha256", this.cfg.clientSecret)
        .update(`${instance}/id/${this.cfg.orgId}/${this.cfg.userId}${issued}`)
        .digest("base64"),
      scope: withRefresh ? "refresh_token api" : "api",
      instance_url: instance,
      id: `${instance}/id/${this.cfg.orgId}/${this.cfg.userId}`,
      token_type: "Bearer",
      issued_at: issued,
    };
    return { status: 200, body };
  }

  private client(form: URLSearchParams, authorization: string | undefined): TokenAnswer | undefined {
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
    if (basic) {
      const [u, p] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
      id = decodeURIComponent(u ?? "");
      secret = decodeURIComponent(p ?? "");
    }
    if (id !== this.cfg.clientId) return err("invalid_client_id", "client identifier invalid");
    if (secret !== this.cfg.clientSecret) return err("invalid_client", "invalid client credentials");
    return undefined;
  }

  token(form: URLSearchParams, authorization: string | undefined): TokenAnswer {
    const grant = form.get("grant_type");
    if (grant === "refresh_token") {
      const bad = this.client(form, authorization);
      if (bad) return bad;
      const r = this.refresh.get(form.get("refresh_token") ?? "");
      if (!r || r.revoked) return err("invalid_grant", "expired access/refresh token");
      return this.grant(form.get("refresh_token")!);
    }
    if (grant === "client_credentials") {
      const bad = this.client(form, authorization);
      return bad ?? this.grant();
    }
    if (grant === "urn:ietf:params:oauth:grant-type:jwt-bearer") return this.jwt(form.get("assertion") ?? "");
    return err("unsupported_grant_type", "grant type not supported");
  }

  private jwt(assertion: string): TokenAnswer {
    const parts = assertion.split(".");
    if (parts.length !== 3) return err("invalid_grant", "invalid assertion");
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: { iss?: string; sub?: string; aud?: string; exp?: number };
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      return err("invalid_grant", "invalid assertion");
    }
    if (header.alg !== "RS256") return err("invalid_grant", "invalid assertion");
    const ok = createVerify("RSA-SHA256")
      .update(`${h}.${p}`)
      .verify(this.jwtKeys.publicKey, Buffer.from(s, "base64url"));
    if (!ok) return err("invalid_grant", "invalid assertion");
    if (claims.iss !== this.cfg.clientId) return err("invalid_client_id", "client identifier invalid");
    if (claims.sub !== this.cfg.username) return err("invalid_grant", "user hasn't approved this consumer");
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= this.cfg.now())
      return err("invalid_grant", "expired authorization code");
    return this.grant();
  }

  revoke(token: string): boolean {
    const r = this.refresh.get(token);
    if (r) r.revoked = true;
    const a = this.access.get(token);
    if (a) a.expired = true;
    return !!r || !!a;
  }

  /** Signs a JWT bearer assertion with the connected app's key (what a client's private key would do). */
  signJwt(claims: Record<string, unknown>): string {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
    const head = `${enc({ alg: "RS256" })}.${enc(claims)}`;
    const sig = createSign("RSA-SHA256").update(head).sign(this.jwtKeys.privateKey);
    return `${head}.${sig.toString("base64url")}`;
  }
}

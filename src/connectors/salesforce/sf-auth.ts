/**
 * The profile's tokens during a run or a profile check: hands out the access token, and on a refused
 * one gets a new token once (single-flight: concurrent calls share one refresh) and stores it through
 * saveCredentials — encrypted and fenced by the SDK, so when another run refreshed first, its (newer)
 * token is used instead of overwriting it.
 */
import { ConnectorAuthenticationError } from "../../domain/errors.ts";
import { resolveClientSecret } from "./sf-client-secret.ts";
import type { SalesforceAuth } from "./sf-http.ts";
import { type GrantType, requestToken } from "./sf-oauth.ts";

export interface SalesforceCredentials {
  accessToken?: string;
  refreshToken?: string;
  clientCredentialsArn?: string;
  oAuth2GrantType?: GrantType;
  jwtToken?: string;
  oAuthRequest?: { authCode?: string; redirectUri?: string };
}

export type SaveCredentials = (updated: Record<string, unknown>) => Promise<Record<string, unknown>>;

export class TokenHolder implements SalesforceAuth {
  private inflight?: Promise<string>;
  /** How many token requests this holder made (a run reports it in its log). */
  refreshes = 0;

  constructor(
    private creds: SalesforceCredentials,
    private readonly o: { instanceUrl: string; dataDir: string; save: SaveCredentials },
  ) {}

  async accessToken(signal: AbortSignal): Promise<string> {
    if (this.creds.accessToken) return this.creds.accessToken;
    return this.refresh("", signal);
  }

  refresh(rejected: string, signal: AbortSignal): Promise<string> {
    const current = this.creds.accessToken;
    if (current && current !== rejected) return Promise.resolve(current);
    this.inflight ??= this.renew(signal).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async renew(signal: AbortSignal): Promise<string> {
    const c = this.creds;
    const client = c.clientCredentialsArn
      ? await resolveClientSecret(this.o.dataDir, c.clientCredentialsArn)
      : undefined;
    this.refreshes++;
    const t = await requestToken(
      {
        instanceUrl: this.o.instanceUrl,
        grantType: c.oAuth2GrantType ?? "AUTHORIZATION_CODE",
        ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}),
        ...(c.jwtToken ? { jwtToken: c.jwtToken } : {}),
        ...(client ? { client } : {}),
      },
      signal,
    );
    const saved = (await this.o.save({ ...c, accessToken: t.accessToken })) as SalesforceCredentials;
    this.creds = saved;
    if (!saved.accessToken)
      throw new ConnectorAuthenticationError("the refreshed credentials hold no access token");
    return saved.accessToken;
  }
}

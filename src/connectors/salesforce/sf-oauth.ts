/**
 * OAuth 2.0 token requests to `<instanceUrl>/services/oauth2/token` (Salesforce Help: "OAuth 2.0 Refresh
 * Token Flow", "OAuth 2.0 JWT Bearer Flow", "OAuth 2.0 Client Credentials Flow"). The form carries
 * grant_type and the grant's parameters; the answer is `{access_token, instance_url, …}` or
 * `{error, error_description}`. A refused grant is a ConnectorAuthenticationError saying that the profile
 * needs re-authorization.
 */
import { ConnectorAuthenticationError, ConnectorServerError } from "../../domain/errors.ts";
import type { ClientSecret } from "./sf-client-secret.ts";

export type GrantType = "AUTHORIZATION_CODE" | "JWT_BEARER" | "CLIENT_CREDENTIALS";

export interface GrantInput {
  instanceUrl: string;
  grantType: GrantType;
  refreshToken?: string;
  jwtToken?: string;
  /** Needed by the refresh-token and client-credentials grants. */
  client?: ClientSecret;
}

export interface TokenAnswer {
  accessToken: string;
  instanceUrl?: string;
}

export function grantForm(g: GrantInput): URLSearchParams {
  if (g.grantType === "JWT_BEARER") {
    if (!g.jwtToken) throw reauth("the JWT_BEARER grant needs a jwtToken in the profile's credentials");
    return new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: g.jwtToken,
    });
  }
  if (!g.client)
    throw reauth(
      `the ${g.grantType === "CLIENT_CREDENTIALS" ? "client credentials" : "refresh token"} grant needs the connected app's client id: set clientCredentialsArn`,
    );
  const client = {
    client_id: g.client.clientId,
    ...(g.client.clientSecret ? { client_secret: g.client.clientSecret } : {}),
  };
  if (g.grantType === "CLIENT_CREDENTIALS")
    return new URLSearchParams({ grant_type: "client_credentials", ...client });
  if (!g.refreshToken) throw reauth("the profile has no refreshToken to get a new access token with");
  return new URLSearchParams({ grant_type: "refresh_token", refresh_token: g.refreshToken, ...client });
}

export async function requestToken(g: GrantInput, signal: AbortSignal): Promise<TokenAnswer> {
  const form = grantForm(g);
  const url = `${g.instanceUrl.replace(/\/+$/, "")}/services/oauth2/token`;
  let r: Response;
  try {
    r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      signal,
    });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw new ConnectorServerError(
      `could not reach Salesforce's token endpoint at ${g.instanceUrl} (${(e as Error).message})`,
    );
  }
  const text = await r.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  if (r.ok && typeof body.access_token === "string")
    return {
      accessToken: body.access_token,
      ...(typeof body.instance_url === "string" ? { instanceUrl: body.instance_url } : {}),
    };
  if (r.status >= 500)
    throw new ConnectorServerError(`Salesforce's token endpoint answered ${r.status}; try again later`);
  const code = typeof body.error === "string" ? body.error : `HTTP ${r.status}`;
  const desc = typeof body.error_description === "string" ? `: ${body.error_description}` : "";
  throw reauth(`Salesforce refused to issue an access token (${code}${desc})`);
}

const reauth = (why: string) =>
  new ConnectorAuthenticationError(`${why}; the connector profile needs to be re-authorized`);

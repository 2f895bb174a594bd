/**
 * Opens a Salesforce connection from a connector profile: checks the instance URL (https, or http on a
 * loopback address for local fakes and tests), and wires the token holder (refresh through
 * saveCredentials) into the HTTP client.
 */
import { ConnectorAuthenticationError, ValidationError } from "../../domain/errors.ts";
import type { Logger } from "../../logger.ts";
import type { ConnectorEnvironment, ResolvedProfile } from "../types.ts";
import { type SalesforceCredentials, type SaveCredentials, TokenHolder } from "./sf-auth.ts";
import { DEFAULT_SF_RETRY } from "./sf-backoff.ts";
import { SalesforceClient } from "./sf-http.ts";
import type { SalesforceProfileProperties } from "./shapes.ts";

/** The REST / Bulk API version used when the flow names none (sourceFlowConfig.apiVersion). */
export const DEFAULT_API_VERSION = "62.0";

export interface SalesforceConnection {
  client: SalesforceClient;
  auth: TokenHolder;
  instanceUrl: string;
}

export function instanceUrlOf(profile: ResolvedProfile): string {
  const props = profile.properties as SalesforceProfileProperties;
  const raw = props.instanceUrl;
  if (!raw) throw new ValidationError("connectorProfileProperties.Salesforce.instanceUrl is required");
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ValidationError(`connectorProfileProperties.Salesforce.instanceUrl '${raw}' is not a URL`);
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback))
    throw new ValidationError(
      "connectorProfileProperties.Salesforce.instanceUrl must be an https:// URL (http:// only on a loopback address)",
    );
  return `${u.protocol}//${u.host}`;
}

/** "v62.0" or "62.0" → "62.0". */
export function apiVersionOf(v: string | undefined): string {
  if (v === undefined || v === "") return DEFAULT_API_VERSION;
  const m = /^v?(\d{2,3}\.\d)$/.exec(v);
  if (!m) throw new ValidationError(`apiVersion '${v}' is not a Salesforce API version such as v62.0`);
  return m[1] as string;
}

export function openSalesforce(o: {
  profile: ResolvedProfile;
  env: ConnectorEnvironment;
  save: SaveCredentials;
  apiVersion?: string;
  log?: Pick<Logger, "warn">;
}): SalesforceConnection {
  const instanceUrl = instanceUrlOf(o.profile);
  const creds = o.profile.credentials as SalesforceCredentials;
  if (
    !creds.accessToken &&
    !creds.refreshToken &&
    !creds.jwtToken &&
    creds.oAuth2GrantType !== "CLIENT_CREDENTIALS"
  ) {
    throw new ConnectorAuthenticationError(
      creds.oAuthRequest?.authCode
        ? "Sluice does not exchange oAuthRequest.authCode for tokens: give the profile an accessToken and refreshToken (or a jwtToken with oAuth2GrantType JWT_BEARER)"
        : "the Salesforce profile has no accessToken, refreshToken or jwtToken",
    );
  }
  const auth = new TokenHolder(creds, { instanceUrl, dataDir: o.env.dataDir, save: o.save });
  const client = new SalesforceClient({
    instanceUrl,
    apiVersion: apiVersionOf(o.apiVersion),
    auth,
    retry: DEFAULT_SF_RETRY,
    // Sforce-Limit-Info as gauges, labelled by instance host (bounded: one per profile's org).
    onLimitInfo: (l) => {
      const labels = { instance: new URL(instanceUrl).host };
      o.env.metrics?.gauge(
        "salesforce_api_usage",
        "Salesforce API requests used in the org's 24-hour allocation (Sforce-Limit-Info)",
        labels,
        l.used,
      );
      o.env.metrics?.gauge(
        "salesforce_api_limit",
        "Salesforce API request allocation (Sforce-Limit-Info)",
        labels,
        l.limit,
      );
    },
    onRetry: (what, attempt, delayMs, reason) =>
      o.log?.warn({ attempt, delayMs, reason }, `Salesforce ${what} failed; retrying`),
  });
  return { client, auth, instanceUrl };
}

/**
 * The profile check at CreateConnectorProfile / UpdateConnectorProfile: one authenticated call (describe
 * global) against the instance, refreshing the token once if it was refused. Refused credentials are a
 * ConnectorAuthenticationError; an unreachable instance a ConnectorServerError. Neither names a token.
 */
import { ConnectorAuthenticationError } from "../../domain/errors.ts";
import type { ProfileContext } from "../sdk/definition.ts";
import { openSalesforce } from "./connection.ts";
import { SalesforceApiError } from "./sf-http.ts";

export async function testSalesforceProfile(ctx: ProfileContext): Promise<void> {
  const { client } = openSalesforce({ profile: ctx.profile, env: ctx.env, save: ctx.saveCredentials });
  try {
    await client.json("GET", "/sobjects", { signal: ctx.signal });
  } catch (e) {
    if (
      e instanceof SalesforceApiError &&
      (e.status === 401 || e.status === 403) &&
      e.errorCode !== "REQUEST_LIMIT_EXCEEDED"
    )
      throw new ConnectorAuthenticationError(
        `Salesforce refused the profile's credentials (${e.errorCode}: ${e.sfMessage})`,
      );
    throw e;
  }
}

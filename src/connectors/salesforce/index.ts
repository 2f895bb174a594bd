/**
 * The Salesforce connector: source (REST or Bulk API 2.0 queries), destination (Bulk API 2.0 ingest or
 * REST sObject Collections), OAuth 2.0 profiles whose refreshed tokens are stored through saveCredentials.
 * Behaviour and limits: docs/salesforce.md.
 */
import type { ConnectorDefinition } from "../sdk/definition.ts";
import { openSalesforce } from "./connection.ts";
import { createSalesforceDestination } from "./salesforce-destination.ts";
import { salesforceEvents } from "./salesforce-events.ts";
import { testSalesforceProfile } from "./salesforce-profile.ts";
import { createSalesforceSource } from "./salesforce-source.ts";
import { salesforceSettings } from "./settings.ts";
import { describeSObject, listSObjects, toEntityField } from "./sf-entities.ts";
import {
  salesforceDestinationProperties,
  salesforceProfileCredentials,
  salesforceProfileProperties,
  salesforceSourceProperties,
} from "./shapes.ts";

/** AppFlow's SalesforceConnectorOperator values. */
export const SALESFORCE_OPERATORS = [
  "PROJECTION",
  "LESS_THAN",
  "CONTAINS",
  "GREATER_THAN",
  "BETWEEN",
  "LESS_THAN_OR_EQUAL_TO",
  "GREATER_THAN_OR_EQUAL_TO",
  "EQUAL_TO",
  "NOT_EQUAL_TO",
  "ADDITION",
  "MULTIPLICATION",
  "DIVISION",
  "SUBTRACTION",
  "MASK_ALL",
  "MASK_FIRST_N",
  "MASK_LAST_N",
  "VALIDATE_NON_NULL",
  "VALIDATE_NON_ZERO",
  "VALIDATE_NON_NEGATIVE",
  "VALIDATE_NUMERIC",
  "NO_OP",
] as const;

export const salesforceConnector: ConnectorDefinition = {
  connectorType: "Salesforce",
  description: "Salesforce (REST API, Bulk API 2.0; OAuth 2.0 refresh-token and JWT bearer grants)",
  profile: {
    properties: salesforceProfileProperties,
    credentials: salesforceProfileCredentials,
    authKinds: ["OAuth2"],
    oAuth2Defaults: {
      oauthScopes: ["api", "refresh_token"],
      oauth2GrantTypesSupported: ["AUTHORIZATION_CODE", "JWT_BEARER", "CLIENT_CREDENTIALS"],
    },
    test: testSalesforceProfile,
  },
  source: {
    properties: salesforceSourceProperties,
    operators: SALESFORCE_OPERATORS,
    triggerTypes: ["OnDemand", "Scheduled", "Event"],
    create: createSalesforceSource,
    events: salesforceEvents,
  },
  destination: {
    properties: salesforceDestinationProperties,
    writeOperations: ["INSERT", "UPSERT", "UPDATE", "DELETE"],
    create: createSalesforceDestination,
  },
  settings: salesforceSettings,
  entities: {
    async list(ctx) {
      const { client } = openSalesforce({
        profile: needProfile(ctx.profile),
        env: ctx.env,
        save: ctx.saveCredentials,
      });
      return listSObjects(client, ctx.signal);
    },
    async describe(ctx, name) {
      const { client } = openSalesforce({
        profile: needProfile(ctx.profile),
        env: ctx.env,
        save: ctx.saveCredentials,
      });
      return (await describeSObject(client, name, ctx.signal)).fields.map(toEntityField);
    },
  },
};

function needProfile<T>(p: T | undefined): T {
  // The registry only dispatches with a profile for connectors that declare one; this is a guard.
  if (!p) throw new Error("the Salesforce connector needs a connector profile");
  return p;
}

/**
 * The Redshift connector: a destination only, with a connector profile (basic auth: username and
 * password, or the Redshift Data API with an IAM role). It also loads PostgreSQL, detected from the server.
 */
import type { ConnectorDefinition } from "../sdk/definition.ts";
import { createRedshiftDestination } from "./redshift-destination.ts";
import { describeRedshiftEntity, listRedshiftEntities } from "./redshift-entities.ts";
import { testRedshiftProfile } from "./redshift-profile.ts";
import { redshiftSettings } from "./settings.ts";
import {
  redshiftDestinationProperties,
  redshiftProfileCredentials,
  redshiftProfileProperties,
} from "./shapes.ts";

export const redshiftConnector: ConnectorDefinition = {
  connectorType: "Redshift",
  description: "Amazon Redshift (or PostgreSQL) over the PostgreSQL protocol, loaded with COPY",
  profile: {
    properties: redshiftProfileProperties,
    credentials: redshiftProfileCredentials,
    authKinds: ["Basic"],
    test: (ctx) => testRedshiftProfile(ctx.profile, ctx.signal, ctx.env),
  },
  destination: {
    properties: redshiftDestinationProperties,
    writeOperations: ["INSERT"],
    create: createRedshiftDestination,
  },
  settings: redshiftSettings,
  entities: {
    list: (ctx, path) => listRedshiftEntities(needProfile(ctx.profile), path, ctx.signal, ctx.env),
    describe: (ctx, name) => describeRedshiftEntity(needProfile(ctx.profile), name, ctx.signal, ctx.env),
  },
};

function needProfile<T>(p: T | undefined): T {
  // The registry only dispatches with a profile for connectors that declare one; this is a guard.
  if (!p) throw new Error("the Redshift connector needs a connector profile");
  return p;
}

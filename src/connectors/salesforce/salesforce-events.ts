/**
 * Event-triggered Salesforce flows: the source object names a Change Data Capture channel
 * (`AccountChangeEvent` → `/data/AccountChangeEvent`), consumed over the Streaming API (CometD).
 * Why CometD and not the Pub/Sub API (gRPC + Avro): plain HTTP + JSON with fetch, no .proto, no Avro
 * codec, no gRPC dependency; both carry the same change events and replay ids.
 */
import { ValidationError } from "../../domain/errors.ts";
import type { SourceFlowConfig } from "../../domain/flow.ts";
import type { EventSourceDefinition } from "../sdk/events.ts";
import { CometdClient } from "./cometd-client.ts";
import { apiVersionOf, openSalesforce } from "./connection.ts";
import { readEventBatching } from "./settings.ts";
import type { SalesforceSourceProperties } from "./shapes.ts";

export function changeEventChannel(config: SourceFlowConfig): string {
  const props = config.sourceConnectorProperties.Salesforce as SalesforceSourceProperties | undefined;
  const object = props?.object ?? "";
  if (!/^[A-Za-z][A-Za-z0-9_]*ChangeEvent$/.test(object)) {
    throw new ValidationError(
      `sourceConnectorProperties.Salesforce.object: an Event flow needs a Change Data Capture object such as AccountChangeEvent (got '${object}'); platform events (…__e) are not supported by this server`,
    );
  }
  return `/data/${object}`;
}

export const salesforceEvents: EventSourceDefinition = {
  batching: readEventBatching,
  check(config) {
    changeEventChannel(config);
  },
  async subscribe(config, ctx) {
    const channel = changeEventChannel(config);
    if (!ctx.profile)
      throw new ValidationError("an Event flow's Salesforce source needs a connector profile");
    const { auth, instanceUrl } = openSalesforce({
      profile: ctx.profile,
      env: ctx.env,
      save: ctx.saveCredentials,
    });
    const client = new CometdClient({
      instanceUrl,
      apiVersion: apiVersionOf(config.apiVersion),
      auth,
      log: ctx.log,
      backoff: { baseMs: 500, maxMs: 30_000 },
    });
    await client.run(channel, ctx.replayId ?? -1, ctx.onEvents, ctx.signal);
  },
};

/**
 * What a connector folder declares (src/connectors/<name>/index.ts exports one ConnectorDefinition).
 * The registry derives everything else from it: request validation (the connector's member of every
 * per-connector structure), DescribeConnector(s), ListConnectorEntities dispatch and flow checks.
 */
import type { z } from "zod";
import type { Setting } from "../../config-setting.ts";
import type { DestinationFlowConfig, SourceFlowConfig, TriggerType } from "../../domain/flow.ts";
import type { ConnectorEntity, ConnectorEntityField } from "../entity-types.ts";
import type { ConnectorEnvironment, Destination, ResolvedProfile, Source } from "../types.ts";
import type { EventSourceDefinition } from "./events.ts";
import type { ConnectorRunContext } from "./run-context.ts";

/** A zod schema factory (fresh per use, as api/shapes builds every schema). */
export type ShapeFactory = () => z.ZodTypeAny;

/** AppFlow's authentication kinds, as ConnectorConfiguration.authenticationConfig reports them. */
export type AuthKind = "Basic" | "ApiKey" | "OAuth2" | "Custom";

export interface OAuth2Defaults {
  oauthScopes?: string[];
  tokenUrls?: string[];
  authCodeUrls?: string[];
  oauth2GrantTypesSupported?: ("CLIENT_CREDENTIALS" | "AUTHORIZATION_CODE" | "JWT_BEARER")[];
}

/** What CreateConnectorProfile / a connection test / entity listing get. */
export interface ProfileContext {
  profile: ResolvedProfile;
  env: ConnectorEnvironment;
  signal: AbortSignal;
  /** As in the run context; at profile creation nothing is stored yet, so it only returns `updated`. */
  saveCredentials(updated: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface ProfileDefinition {
  /** connectorProfileProperties.<member> */
  properties: ShapeFactory;
  /** connectorProfileCredentials.<member> */
  credentials: ShapeFactory;
  authKinds: AuthKind[];
  oAuth2Defaults?: OAuth2Defaults;
  /**
   * Checks that the profile can connect (CreateConnectorProfile, UpdateConnectorProfile, CreateFlow):
   * throws ConnectorAuthenticationError for bad credentials, ConnectorServerError when unreachable.
   */
  test(ctx: ProfileContext): Promise<void>;
}

export interface SourceDefinition {
  /** sourceConnectorProperties.<member> */
  properties: ShapeFactory;
  /** ConnectorOperator.<member>: the operators tasks may name for this source. */
  operators: readonly [string, ...string[]];
  triggerTypes: TriggerType[];
  /** ConnectorConfiguration.supportedSchedulingFrequencies, when Scheduled is a trigger type. */
  schedulingFrequencies?: string[];
  /** `config.sourceConnectorProperties[member]` has been validated by `properties`. */
  create(config: SourceFlowConfig, ctx: ConnectorRunContext): Source;
  /** Set when the source supports triggerType Event (it must also list "Event" in triggerTypes). */
  events?: EventSourceDefinition;
}

export interface DestinationDefinition {
  /** destinationConnectorProperties.<member> */
  properties: ShapeFactory;
  /** WriteOperationType values the destination implements (INSERT, UPSERT, UPDATE, DELETE). */
  writeOperations: string[];
  /**
   * Writing a run's records again under the same execution id replaces what an earlier attempt of that
   * run wrote instead of adding to it (S3: the attempt's objects are discarded, see
   * Destination.discardEarlierAttempt, and the same names written). Event flows need it: a batch a lost
   * node left is written again by the node that resumes the flow.
   */
  rewriteReplaces?: boolean;
  create(config: DestinationFlowConfig, ctx: ConnectorRunContext): Destination;
}

export interface EntityDefinition {
  list(ctx: EntityContext, entitiesPath: string | undefined): Promise<ConnectorEntity[]>;
  describe(ctx: EntityContext, entityName: string): Promise<ConnectorEntityField[]>;
}

export interface EntityContext {
  /** Present when the connector has a profile definition (the caller named a profile). */
  profile?: ResolvedProfile;
  env: ConnectorEnvironment;
  signal: AbortSignal;
  saveCredentials(updated: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface ConnectorDefinition {
  /** The ConnectorType enum value, e.g. "S3". */
  connectorType: string;
  /**
   * The member name in the model's per-connector structures (SourceConnectorProperties etc.) when it
   * is spelled differently from the type (GoogleAnalytics vs Googleanalytics). Default: connectorType.
   */
  member?: string;
  description: string;
  /** Present when the connector needs a connector profile. */
  profile?: ProfileDefinition;
  source?: SourceDefinition;
  destination?: DestinationDefinition;
  entities?: EntityDefinition;
  /**
   * Server settings the connector adds (flags/env, validated at start like every setting), keyed by
   * their name under `connectors.<connectorType>`; the values reach it as env.connectors[connectorType].
   */
  settings?: Record<string, Setting>;
}

export const memberOf = (c: ConnectorDefinition): string => c.member ?? c.connectorType;

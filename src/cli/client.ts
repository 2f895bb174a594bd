/**
 * The AppFlow client the day-to-day commands use: the same signed API as boto3 or the AWS CLI, with
 * credentials from the standard AWS chain (environment, shared config/credentials profiles, SSO, …).
 */
import { AppflowClient } from "@aws-sdk/client-appflow";

export interface ClientOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

export const DEFAULT_ENDPOINT = "http://127.0.0.1:4747";

export function endpointOf(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env): string {
  return opts.endpoint ?? env.SLUICE_ENDPOINT ?? env.AWS_ENDPOINT_URL_APPFLOW ?? DEFAULT_ENDPOINT;
}

export function makeClient(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env): AppflowClient {
  // The SDK's credential chain reads AWS_PROFILE; a --profile flag is the same thing said on the line.
  if (opts.profile) env.AWS_PROFILE = opts.profile;
  return new AppflowClient({
    endpoint: endpointOf(opts, env),
    // Sluice accepts any region; the AWS CLI's variable is honoured too, and a default saves a setup step.
    region: opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
  });
}

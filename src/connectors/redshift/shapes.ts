/** Redshift (and PostgreSQL, over the same wire protocol): destination properties and connector profile. */
import type { z } from "zod";
import { bool, str, struct } from "../../api/shapes/common.ts";
import { bucketName, bucketPrefix, iamRoleArn } from "../../api/shapes/members.ts";

const nonBlank = () => str({ max: 512, pattern: "\\S+" });

export const redshiftDestinationProperties = () =>
  struct({
    object: nonBlank(),
    intermediateBucketName: bucketName(),
    bucketPrefix: bucketPrefix().optional(),
    errorHandlingConfig: struct({
      failOnFirstDestinationError: bool().optional(),
      bucketPrefix: bucketPrefix().optional(),
      bucketName: bucketName().optional(),
    }).optional(),
  });

export const redshiftProfileProperties = () =>
  struct({
    // Properties are stored in the clear and returned by DescribeConnectorProfiles: no password here.
    databaseUrl: nonBlank()
      .refine((u) => !/^[^/]*\/\/[^/?#@]*:[^/?#@]*@/.test(u), {
        message:
          "must not carry a password (user:password@): give it in connectorProfileCredentials.Redshift.password",
      })
      .optional(),
    bucketName: bucketName(),
    bucketPrefix: bucketPrefix().optional(),
    roleArn: iamRoleArn(),
    dataApiRoleArn: iamRoleArn().optional(),
    isRedshiftServerless: bool().optional(),
    clusterIdentifier: nonBlank().optional(),
    workgroupName: nonBlank().optional(),
    databaseName: nonBlank().optional(),
  });

export const redshiftProfileCredentials = () =>
  struct({
    username: str({ max: 2048, pattern: ".*" }).optional(),
    password: str({ max: 512, pattern: ".*" }).optional(),
  });

export type RedshiftDestinationProperties = z.output<ReturnType<typeof redshiftDestinationProperties>>;
export type RedshiftProfileProperties = z.output<ReturnType<typeof redshiftProfileProperties>>;
export type RedshiftProfileCredentials = z.output<ReturnType<typeof redshiftProfileCredentials>>;

/** S3 as a source and as a destination: S3SourceProperties and S3DestinationProperties. */
import type { z } from "zod";
import { bool, enumOf, list, long, struct } from "../../api/shapes/common.ts";
import { bucketName, bucketPrefix } from "../../api/shapes/members.ts";

export const s3SourceProperties = () =>
  struct({
    bucketName: bucketName(),
    bucketPrefix: bucketPrefix().optional(),
    s3InputFormatConfig: struct({
      s3InputFileType: enumOf(["CSV", "JSON"]).optional(),
    }).optional(),
  });

const prefixConfig = () =>
  struct({
    prefixType: enumOf(["FILENAME", "PATH", "PATH_AND_FILENAME"]).optional(),
    prefixFormat: enumOf(["YEAR", "MONTH", "DAY", "HOUR", "MINUTE"]).optional(),
    pathPrefixHierarchy: list(enumOf(["EXECUTION_ID", "SCHEMA_VERSION"])).optional(),
  });

export const s3DestinationProperties = () =>
  struct({
    bucketName: bucketName(),
    bucketPrefix: bucketPrefix().optional(),
    s3OutputFormatConfig: struct({
      fileType: enumOf(["CSV", "JSON", "PARQUET"]).optional(),
      prefixConfig: prefixConfig().optional(),
      aggregationConfig: struct({
        aggregationType: enumOf(["None", "SingleFile"]).optional(),
        targetFileSize: long().optional(),
      }).optional(),
      preserveSourceDataTyping: bool().optional(),
    }).optional(),
  });

export type S3SourceProperties = z.output<ReturnType<typeof s3SourceProperties>>;
export type S3DestinationProperties = z.output<ReturnType<typeof s3DestinationProperties>>;

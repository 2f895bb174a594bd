/**
 * Tags: TagResource / UntagResource / ListTagsForResource, whose `resourceArn` comes from the path and
 * `tagKeys` from the query string (the router merges both into the input object), and the TagMap
 * that CreateFlow takes.
 */
import type { z } from "zod";
import { list, str, stringMap, struct } from "./common.ts";
import { arn } from "./members.ts";

const RESERVED_PREFIX = "aws:";

// The model writes the key pattern with a lookahead `^(?!aws:)`; we check the prefix on its own so
// the message says why.
export const tagKey = () =>
  str({ min: 1, max: 128, pattern: "[a-zA-Z+-=._:/]+" }).refine((k) => !k.startsWith(RESERVED_PREFIX), {
    message: `must not start with ${RESERVED_PREFIX} (reserved for AWS use)`,
  });

export const tagValue = () => str({ max: 256, pattern: "[\\s\\w+-=\\.:/@]*" });

export const tagMap = () => stringMap(tagKey(), tagValue(), { min: 0, max: 50 });

export const tagResourceInput = () => struct({ resourceArn: arn(), tags: tagMap() });
export const untagResourceInput = () =>
  struct({ resourceArn: arn(), tagKeys: list(tagKey(), { min: 0, max: 50 }) });
export const listTagsForResourceInput = () => struct({ resourceArn: arn() });

export type TagResourceInput = z.output<ReturnType<typeof tagResourceInput>>;
export type UntagResourceInput = z.output<ReturnType<typeof untagResourceInput>>;
export type ListTagsForResourceInput = z.output<ReturnType<typeof listTagsForResourceInput>>;

/** TagResource, UntagResource, ListTagsForResource on the caller's own flows and connector profiles. */
import type { App, Caller } from "../../app.ts";
import { parseAppFlowArn } from "../../domain/arn.ts";
import { ResourceNotFoundError, ValidationError } from "../../domain/errors.ts";
import { getFlow } from "../../store/flows-sql.ts";
import { getProfile } from "../../store/profiles-sql.ts";
import { deleteTags, getTags, putTags } from "../../store/tags-sql.ts";

const MAX_TAGS = 50;

async function mustExist(app: App, caller: Caller, arn: string): Promise<void> {
  const p = parseAppFlowArn(arn);
  const found =
    p &&
    p.accountId === caller.accountId &&
    (p.resourceType === "flow"
      ? (await getFlow(app.store.db, caller.accountId, p.name))?.flow_arn === arn
      : (await getProfile(app.store.db, caller.accountId, p.name))?.profile_arn === arn);
  if (!found) throw new ResourceNotFoundError(`Resource ${arn} does not exist`);
}

export async function tagResource(
  app: App,
  caller: Caller,
  input: { resourceArn: string; tags: Record<string, string> },
) {
  await mustExist(app, caller, input.resourceArn);
  const current = await getTags(app.store.db, caller.accountId, input.resourceArn);
  const merged = { ...current, ...input.tags };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw new ValidationError(`tags: a resource can have at most ${MAX_TAGS} tags`);
  }
  await putTags(app.store.db, caller.accountId, input.resourceArn, input.tags);
  return {};
}

export async function untagResource(
  app: App,
  caller: Caller,
  input: { resourceArn: string; tagKeys: string[] },
) {
  await mustExist(app, caller, input.resourceArn);
  await deleteTags(app.store.db, caller.accountId, input.resourceArn, input.tagKeys);
  return {};
}

export async function listTagsForResource(app: App, caller: Caller, input: { resourceArn: string }) {
  await mustExist(app, caller, input.resourceArn);
  return { tags: await getTags(app.store.db, caller.accountId, input.resourceArn) };
}

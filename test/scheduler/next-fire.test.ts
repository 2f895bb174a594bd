import assert from "node:assert/strict";
import { test } from "node:test";
import type { TriggerConfig } from "../../src/domain/flow.ts";
import { firstFire, nextFire } from "../../src/scheduler/next-fire.ts";

const t = (iso: string) => Date.parse(iso);
const trig = (p: Record<string, unknown>): TriggerConfig =>
  ({ triggerType: "Scheduled", triggerProperties: { Scheduled: p } }) as TriggerConfig;

test("a rate schedule without a start time first fires at activation, then every period", () => {
  const tr = trig({ scheduleExpression: "rate(5minutes)" });
  const now = t("2026-05-01T10:00:20Z");
  assert.equal(firstFire(tr, now), now);
  assert.equal(nextFire(tr, now, now + 100), now + 300_000);
  // Missed ticks are not made up one by one: the next fire is the next boundary after now.
  assert.equal(nextFire(tr, now, now + 1_000_000), now + 1_200_000);
});

test("start time, end time and offset", () => {
  const start = t("2026-05-01T12:00:00Z") / 1000;
  const tr = trig({
    scheduleExpression: "rate(1hours)",
    scheduleStartTime: start,
    scheduleEndTime: start + 7200,
    scheduleOffset: 30,
  });
  const now = t("2026-05-01T10:00:00Z");
  assert.equal(firstFire(tr, now), t("2026-05-01T12:00:30Z"));
  assert.equal(nextFire(tr, t("2026-05-01T12:00:30Z"), t("2026-05-01T12:00:31Z")), t("2026-05-01T13:00:30Z"));
  assert.equal(
    nextFire(tr, t("2026-05-01T14:00:30Z"), t("2026-05-01T14:00:31Z")),
    undefined,
    "past the end time",
  );
  // Activated after the start: the next boundary counted from the start.
  assert.equal(firstFire(tr, t("2026-05-01T12:10:00Z")), t("2026-05-01T13:00:30Z"));
});

test("a cron schedule fires at its next matching time", () => {
  const tr = trig({ scheduleExpression: "cron(0 * * * ? *)" });
  assert.equal(firstFire(tr, t("2026-05-01T10:20:00Z")), t("2026-05-01T11:00:00Z"));
  assert.equal(nextFire(tr, t("2026-05-01T11:00:00Z"), t("2026-05-01T11:00:01Z")), t("2026-05-01T12:00:00Z"));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSchedule } from "../../src/scheduler/schedule-expression.ts";

const t = (iso: string) => Date.parse(iso);

test("rate(): fires every period from the anchor", () => {
  const s = parseSchedule("rate(5minutes)", t("2026-01-01T00:00:00Z"));
  assert.equal(s.nextAfter(t("2025-12-31T00:00:00Z")), t("2026-01-01T00:00:00Z"));
  assert.equal(s.nextAfter(t("2026-01-01T00:00:00Z")), t("2026-01-01T00:05:00Z"));
  assert.equal(s.nextAfter(t("2026-01-01T00:07:30Z")), t("2026-01-01T00:10:00Z"));
  assert.equal(parseSchedule("rate(1 hour)", 0).nextAfter(1), 3_600_000);
  assert.equal(parseSchedule("rate(2 days)", 0).nextAfter(0), 2 * 86_400_000);
});

test("cron(): AWS six fields, day-of-week 1 = Sunday, ? for any, years", () => {
  const noon = parseSchedule("cron(0 12 * * ? *)", 0);
  assert.equal(noon.nextAfter(t("2026-03-01T12:00:00Z")), t("2026-03-02T12:00:00Z"));
  // 2 = Monday in AWS cron. 2026-03-04 is a Wednesday → next Monday 2026-03-09.
  const monday = parseSchedule("cron(30 8 ? * 2 *)", 0);
  assert.equal(monday.nextAfter(t("2026-03-04T00:00:00Z")), t("2026-03-09T08:30:00Z"));
  const weekdays = parseSchedule("cron(0 9 ? * MON-FRI *)", 0);
  assert.equal(weekdays.nextAfter(t("2026-03-06T10:00:00Z")), t("2026-03-09T09:00:00Z"));
  const onlyIn2027 = parseSchedule("cron(0 0 1 1 ? 2027)", 0);
  assert.equal(onlyIn2027.nextAfter(t("2026-06-01T00:00:00Z")), t("2027-01-01T00:00:00Z"));
  assert.equal(onlyIn2027.nextAfter(t("2027-06-01T00:00:00Z")), undefined);
  const tz = parseSchedule("cron(0 9 * * ? *)", 0, "America/New_York");
  assert.equal(tz.nextAfter(t("2026-07-01T00:00:00Z")), t("2026-07-01T13:00:00Z"));
});

test("invalid expressions are ValidationExceptions naming the member", () => {
  for (const e of [
    "rate(0 minutes)",
    "rate(5 seconds)",
    "cron(0 12 * * *)",
    "cron(0 12 1 * 2 *)",
    "every day",
    "cron(0 99 * * ? *)",
  ]) {
    assert.throws(
      () => parseSchedule(e, 0),
      (err: Error) => err.name === "ValidationException" && err.message.includes("scheduleExpression"),
      e,
    );
  }
});

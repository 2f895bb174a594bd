/**
 * AppFlow schedule expressions: `rate(N minutes|hours|days)` and the six-field AWS cron
 * `cron(minutes hours day-of-month month day-of-week year)` (day-of-week 1–7 = SUN–SAT, `?` for "any").
 * Cron evaluation is delegated to cron-parser; this module only translates AWS syntax to it.
 */
import { CronExpressionParser } from "cron-parser";
import { ValidationError } from "../domain/errors.ts";

export interface Schedule {
  /** The first fire time strictly after `afterMs`, or undefined when there is none. */
  nextAfter(afterMs: number): number | undefined;
}

const units: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MAX_YEAR_SCAN = 200;

export function parseSchedule(expression: string, anchorMs: number, timezone?: string): Schedule {
  const rate = /^rate\(\s*(\d+)\s*(minute|minutes|hour|hours|day|days)\s*\)$/i.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = units[rate[2]!.toLowerCase().replace(/s$/, "")]!;
    if (n < 1) throw bad(expression, "the rate must be at least 1");
    const period = n * unit;
    if (period < 60_000) throw bad(expression, "the shortest rate is 1 minute");
    return {
      nextAfter(afterMs) {
        if (afterMs < anchorMs) return anchorMs;
        return anchorMs + (Math.floor((afterMs - anchorMs) / period) + 1) * period;
      },
    };
  }
  const cron = /^cron\((.*)\)$/i.exec(expression.trim());
  if (cron) return cronSchedule(expression, cron[1]!.trim().split(/\s+/), timezone);
  throw bad(
    expression,
    "must be rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)",
  );
}

function cronSchedule(expression: string, fields: string[], timezone?: string): Schedule {
  if (fields.length !== 6) throw bad(expression, "a cron expression has six fields");
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (dom !== "?" && dow !== "?") throw bad(expression, "one of day-of-month and day-of-week must be ?");
  const years = parseYears(expression, year);
  // AWS numbers days of the week 1–7 from Sunday; cron-parser 0–6.
  const dowField = dow === "?" ? "*" : dow.replace(/\d+/g, (d) => String((Number(d) + 6) % 7));
  const text = `0 ${min} ${hour} ${dom === "?" ? "*" : dom} ${month} ${dowField}`;
  try {
    CronExpressionParser.parse(text, { tz: timezone ?? "UTC" });
  } catch (err) {
    throw bad(expression, (err as Error).message);
  }
  return {
    nextAfter(afterMs) {
      const it = CronExpressionParser.parse(text, { tz: timezone ?? "UTC", currentDate: new Date(afterMs) });
      for (let i = 0; i < MAX_YEAR_SCAN * 366; i++) {
        const next = it.next().getTime();
        const y = new Date(next).getUTCFullYear();
        if (!years || years.has(y)) return next;
        if (Math.max(...years) < y) return undefined;
      }
      return undefined;
    },
  };
}

function parseYears(expression: string, field: string): Set<number> | undefined {
  if (field === "*" || field === "?") return undefined;
  const years = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\d{4})(?:-(\d{4}))?$/.exec(part);
    if (!m) throw bad(expression, `unsupported year field ${field}`);
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    for (let y = from; y <= to; y++) years.add(y);
  }
  return years;
}

function bad(expression: string, why: string): ValidationError {
  return new ValidationError(
    `triggerConfig.triggerProperties.Scheduled.scheduleExpression: ${expression} is not a valid schedule: ${why}`,
  );
}

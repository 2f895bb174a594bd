/**
 * When a scheduled flow fires, honouring scheduleStartTime, scheduleEndTime and scheduleOffset.
 * A rate schedule counts from scheduleStartTime, or from activation when none is given (its first run
 * is then at activation); a cron schedule fires at its next matching minute.
 */
import type { TriggerConfig } from "../domain/flow.ts";
import { parseSchedule } from "./schedule-expression.ts";

interface Parts {
  expr: string;
  tz?: string;
  offset: number;
  start?: number;
  end?: number;
  rate: boolean;
}

function parts(trigger: TriggerConfig): Parts | undefined {
  const p = trigger.triggerProperties?.Scheduled;
  if (!p) return undefined;
  return {
    expr: p.scheduleExpression,
    tz: p.timezone,
    offset: (p.scheduleOffset ?? 0) * 1000,
    start: p.scheduleStartTime !== undefined ? p.scheduleStartTime * 1000 : undefined,
    end: p.scheduleEndTime !== undefined ? p.scheduleEndTime * 1000 : undefined,
    rate: /^\s*rate\(/i.test(p.scheduleExpression),
  };
}

function shifted(p: Parts, base: number | undefined): number | undefined {
  if (base === undefined || (p.end !== undefined && base > p.end)) return undefined;
  return base + p.offset;
}

/** The first fire time when the flow is activated at `now`. */
export function firstFire(trigger: TriggerConfig, now: number): number | undefined {
  const p = parts(trigger);
  if (!p) return undefined;
  const from = Math.max(now, p.start ?? now);
  if (p.rate && (p.start === undefined || p.start >= now)) return shifted(p, from);
  return shifted(p, parseSchedule(p.expr, p.start ?? now, p.tz).nextAfter(from - 1));
}

/** The fire time after `tick` fired at `now` (a late or missed tick is not made up for more than once). */
export function nextFire(trigger: TriggerConfig, tick: number, now: number): number | undefined {
  const p = parts(trigger);
  if (!p) return undefined;
  const base = tick - p.offset;
  return shifted(p, parseSchedule(p.expr, base, p.tz).nextAfter(Math.max(base, now - p.offset)));
}

/** Checks the expression (ValidationException naming it when it is not one Sluice can evaluate). */
export function checkSchedule(trigger: TriggerConfig): void {
  const p = parts(trigger);
  if (p) parseSchedule(p.expr, 0, p.tz);
}

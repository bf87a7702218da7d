import { Cron } from "croner";
import type { ScheduleTrigger } from "./agent-schedule.js";

/** Most fire times one call enumerates (a guard against patterns that fire every second for years). */
export const MAX_FIRE_TIMES = 1000;

/** `every` values: one or more of `<n>d`, `<n>h`, `<n>m`, `<n>s`, in that order ("30m", "1h30m", "2s"). */
const EVERY_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Milliseconds of an `every` value, or `undefined` when it is not of the form `1h30m` (units d, h, m, s in
 * that order, whole numbers) or is zero.
 */
export function parseEvery(value: string): number | undefined {
  const match = EVERY_PATTERN.exec(value);
  if (match === null || value === "") return undefined;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  const ms = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
  return ms > 0 ? ms : undefined;
}

/** A paused croner job for the trigger's pattern and zone. @throws croner's error for a bad pattern or zone. */
export function cronOf(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true });
}

/**
 * The first `count` (at most {@link MAX_FIRE_TIMES}) fire times strictly after `afterMs` (epoch ms),
 * ascending, as epoch ms; fewer when the trigger fires less often (an `at` in the past: none).
 */
export function nextFireTimes(trigger: ScheduleTrigger, afterMs: number, count: number): number[] {
  const limit = Math.min(Math.max(0, count), MAX_FIRE_TIMES);
  const times: number[] = [];
  if (trigger.kind === "at") {
    const at = Date.parse(trigger.at);
    return at > afterMs && limit > 0 ? [at] : [];
  }
  if (trigger.kind === "every") {
    let next = (Math.floor(afterMs / trigger.everyMs) + 1) * trigger.everyMs;
    while (times.length < limit) {
      times.push(next);
      next += trigger.everyMs;
    }
    return times;
  }
  const job = cronOf(trigger.cron, trigger.timezone);
  let previous = new Date(afterMs);
  while (times.length < limit) {
    const next = job.nextRun(previous);
    if (next === null) break;
    times.push(next.getTime());
    previous = next;
  }
  return times;
}

/** Fire times in `(fromMs, toMs]`, ascending, at most {@link MAX_FIRE_TIMES} (the earliest ones). */
export function fireTimesBetween(trigger: ScheduleTrigger, fromMs: number, toMs: number): number[] {
  if (toMs <= fromMs) return [];
  if (trigger.kind === "every") {
    const count = Math.floor(toMs / trigger.everyMs) - Math.floor(fromMs / trigger.everyMs);
    return nextFireTimes(trigger, fromMs, count);
  }
  const times: number[] = [];
  let after = fromMs;
  while (times.length < MAX_FIRE_TIMES) {
    const [next] = nextFireTimes(trigger, after, 1);
    if (next === undefined || next > toMs) break;
    times.push(next);
    after = next;
  }
  return times;
}

/** The newest fire time at or before `atMs`, or `undefined` when the trigger never fired by then. */
export function latestFireTime(trigger: ScheduleTrigger, atMs: number): number | undefined {
  if (trigger.kind === "at") {
    const at = Date.parse(trigger.at);
    return at <= atMs ? at : undefined;
  }
  if (trigger.kind === "every") return Math.floor(atMs / trigger.everyMs) * trigger.everyMs;
  // croner's previousRuns excludes its reference, and cron fires fall on whole seconds.
  const [previous] = cronOf(trigger.cron, trigger.timezone).previousRuns(1, new Date(atMs + 1));
  return previous?.getTime();
}

import { z } from "zod";
import { isSafeName } from "../core/names.js";
import { cronOf, parseEvery } from "./schedule-times.js";

/** Schedule names: part of job idempotency keys, so short: 1-32 of `[A-Za-z0-9_-]`. */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** RFC 3339 date-time with a zone (`Z` or `±hh:mm`). */
const RFC3339_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Longest `every`: 366 days. */
const MAX_EVERY_MS = 366 * 86_400_000;

/** True when `timezone` is an IANA zone name this Node.js knows. */
function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Adds the issues of one schedule entry that need more than one key or a library. */
function checkSchedule(
  schedule: { cron?: string; every?: string; at?: string; timezone?: string },
  context: z.core.$RefinementCtx<unknown>,
): void {
  const triggers = (["cron", "every", "at"] as const).filter((key) => schedule[key] !== undefined);
  if (triggers.length !== 1) {
    context.addIssue({
      code: "custom",
      message: `must set exactly one of cron, every or at (found ${triggers.length === 0 ? "none" : triggers.join(", ")})`,
      params: { fix: 'Keep one trigger: cron: "0 8 * * *", every: "30m" or at: "2027-01-01T08:00:00Z".' },
    });
    return;
  }
  if (schedule.timezone !== undefined && schedule.cron === undefined) {
    context.addIssue({
      code: "custom",
      path: ["timezone"],
      message: "applies only to cron schedules",
      params: { fix: "Remove timezone, or use a cron pattern (every and at are absolute)." },
    });
  }
  const timezone = schedule.timezone ?? "UTC";
  if (!isTimeZone(timezone)) {
    context.addIssue({
      code: "custom",
      path: ["timezone"],
      message: `${JSON.stringify(timezone)} is not a known IANA time zone`,
      params: { fix: 'Use a zone name such as "Europe/Berlin", "America/New_York" or "UTC".' },
    });
    return;
  }
  if (schedule.cron !== undefined) {
    let never = false;
    try {
      never = cronOf(schedule.cron, timezone).nextRun() === null;
    } catch (error) {
      context.addIssue({
        code: "custom",
        path: ["cron"],
        message: `${JSON.stringify(schedule.cron)} is not a cron pattern: ${(error as Error).message}`,
        params: { fix: 'Write five fields: minute hour day-of-month month day-of-week, e.g. "0 8 * * *".' },
      });
      return;
    }
    if (never) {
      context.addIssue({
        code: "custom",
        path: ["cron"],
        message: `${JSON.stringify(schedule.cron)} never fires (no matching date)`,
        params: { fix: 'Pick a date that exists, e.g. "0 0 28 2 *" instead of "0 0 30 2 *".' },
      });
    }
  }
  if (schedule.every !== undefined) {
    const ms = parseEvery(schedule.every);
    if (ms === undefined || ms < 1000 || ms > MAX_EVERY_MS) {
      context.addIssue({
        code: "custom",
        path: ["every"],
        message: `${JSON.stringify(schedule.every)} is not an interval from 1s to 366d`,
        params: {
          fix: 'Write whole numbers with units d, h, m, s in that order, e.g. "30m", "1h30m" or "2s".',
        },
      });
    }
  }
  if (
    schedule.at !== undefined &&
    (!RFC3339_PATTERN.test(schedule.at) || Number.isNaN(Date.parse(schedule.at)))
  ) {
    context.addIssue({
      code: "custom",
      path: ["at"],
      message: `${JSON.stringify(schedule.at)} is not an RFC 3339 date-time with a zone`,
      params: { fix: 'Write it like "2027-01-01T08:00:00Z" or "2027-01-01T09:00:00+01:00".' },
    });
  }
}

/** One entry of `spec.schedules`. */
export const scheduleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(SCHEDULE_NAME_PATTERN, {
        error: "must be 1-32 letters, digits, '_' or '-', starting with a letter or digit",
      })
      .meta({ description: "Schedule name, unique in this agent; 1-32 of [A-Za-z0-9_-]." }),
    cron: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'Cron pattern (croner: 5 or 6 fields, seconds first when 6), e.g. "0 8 * * *".' }),
    timezone: z.string().min(1).max(100).optional().meta({
      description: 'IANA time zone the cron pattern is read in, e.g. "Europe/Berlin". Default "UTC".',
    }),
    every: z.string().min(1).max(40).optional().meta({
      description:
        'Fixed interval, 1s to 366d, e.g. "30m" or "1h30m"; fire times are multiples of it since 1970-01-01T00:00:00Z.',
    }),
    at: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .meta({ description: 'One RFC 3339 instant with a zone, e.g. "2027-01-01T08:00:00Z".' }),
    input: z
      .string()
      .min(1)
      .max(1_048_576)
      .meta({ description: "The user message each fire's job starts with." }),
    session: z
      .string()
      .refine((value) => value === "new" || isSafeName(value), {
        error: 'must be "new" or a session id (letters, digits, ".", "_", "-"; a letter or digit first)',
      })
      .default("new")
      .meta({
        description:
          'Session each fire continues: "new" (a new session per fire) or a fixed session id. Default "new".',
      }),
    catch_up: z.enum(["none", "latest"]).default("latest").meta({
      description:
        "Fires missed while no worker ran: latest runs one job for the newest missed fire, none skips them. Default latest.",
    }),
  })
  .superRefine(checkSchedule, { when: () => true })
  .meta({
    description: "A schedule: set exactly one of cron, every or at. Each fire becomes a job (docs/jobs.md).",
    oneOf: [{ required: ["cron"] }, { required: ["every"] }, { required: ["at"] }],
  });

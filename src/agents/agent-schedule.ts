/**
 * When a schedule fires: a cron pattern read in an IANA time zone, a fixed interval counted from the Unix
 * epoch (so every worker computes the same fire times), or one RFC 3339 instant.
 */
export type ScheduleTrigger =
  | { kind: "cron"; cron: string; timezone: string }
  | { kind: "every"; every: string; everyMs: number }
  | { kind: "at"; at: string };

/** One entry of `spec.schedules` (docs/agent-format.md, docs/jobs.md). */
export interface AgentSchedule {
  /** 1-32 of `[A-Za-z0-9_-]`, unique in the agent; part of each fire's job idempotency key. */
  name: string;
  trigger: ScheduleTrigger;
  /** The user message each fire's job starts with. */
  input: string;
  /** Session the fire's job continues; absent: a new session per fire (`session: new`). */
  sessionId?: string;
  /**
   * Fires missed while no worker ran: `latest` runs one job for the newest missed fire time, `none`
   * skips them. @default "latest"
   */
  catchUp: "none" | "latest";
}

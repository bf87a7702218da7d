import type { AgentDefinition } from "../agents/agent-definition.js";
import type { AgentSchedule } from "../agents/agent-schedule.js";
import { fireTimesBetween, latestFireTime } from "../agents/schedule-times.js";
import { errorMessage } from "../core/errors.js";
import { DEFAULT_TENANT } from "../core/scope.js";
import type { JobStore } from "./job-store.js";

/** The agents whose schedules fire: the default tenant's, read again on every tick. */
export interface ScheduleAgents {
  /** Every agent by name; `valid: false` ones are skipped. */
  list(): Promise<readonly { name: string; valid: boolean }[]>;
  /** The agent as its files say now (the catalog reloads changed files). */
  get(name: string): Promise<AgentDefinition>;
  /**
   * Names of the agents that may have schedules (a superset), found without loading every agent. When
   * given, ticks load only these, and they are looked up again every `discoverMs`; without it every tick
   * loads every agent `list` names (fine for small folders and tests).
   */
  scheduled?(): Promise<readonly string[]>;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  store: JobStore;
  agents: ScheduleAgents;
  /** Milliseconds between ticks. @default 1000 */
  tickMs?: number;
  /**
   * Fires at most this many ms old count as on time and each gets its job; older ones were missed (no
   * worker ran) and follow the schedule's `catch_up`. @default max(10000, 3 × tickMs)
   */
  graceMs?: number;
  /**
   * With `agents.scheduled`: how often, in ms, the agents that may have schedules are looked up again (an
   * agent that gains its first schedule fires within this time; edits to one that has schedules apply at
   * the next tick). @default 5000
   */
  discoverMs?: number;
  /** Jobs of the store scanned (newest first) for a schedule's last fire when a process first sees it. @default 1000 */
  historyLimit?: number;
  /** @default Date.now */
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

/** A fire this scheduler turned into a job. */
export interface ScheduledFire {
  agent: string;
  schedule: string;
  /** The fire time, ISO-8601 UTC with milliseconds. */
  fireTime: string;
  jobId: string;
}

/** Prefix of the idempotency keys of one schedule's jobs. */
export function scheduleKeyPrefix(agent: string, schedule: string): string {
  return `schedule:${agent}:${schedule}:`;
}

/**
 * The idempotency key of one fire: `schedule:<agent>:<name>:<fire time ISO>` (at most 195 characters:
 * agent names are at most 128, schedule names 32). Every worker computes the same key for the same fire,
 * and the store keeps one job per key, so each fire time runs once however many workers tick.
 */
export function scheduleJobKey(agent: string, schedule: string, fireMs: number): string {
  return `${scheduleKeyPrefix(agent, schedule)}${new Date(fireMs).toISOString()}`;
}

/**
 * Turns the schedules of the default tenant's agents (`spec.schedules`) into jobs. Runs in every worker
 * process (`pluto serve`, `pluto worker`): each tick re-reads the agents through the catalog (so edits on
 * disk apply without a restart) and creates one job per fire time through the store's idempotent
 * `create`. The durable record of what fired is the jobs themselves: when a process first sees a
 * schedule it takes the newest fire time among that schedule's job keys as its last fire (none: the
 * schedule starts now, so a new schedule does not fire for the past).
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #tickMs: number;
  readonly #graceMs: number;
  /** Last fire time handled, epoch ms, per `agent\0schedule`. */
  readonly #last = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #candidates: { names: readonly string[]; at: number } | undefined;
  /** The last warning logged per agent, so a lasting problem is logged once. */
  readonly #warned = new Map<string, string>();
  #running = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#tickMs = options.tickMs ?? 1000;
    this.#graceMs = options.graceMs ?? Math.max(10_000, 3 * this.#tickMs);
  }

  /** Ticks now and then every `tickMs`; a no-op when started. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops ticking; resolves once a tick under way has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#tick;
  }

  /**
   * One pass over every schedule: creates the jobs of fires due by `now` (what each timer tick runs;
   * public so tests can drive it with their own clock). Errors of one agent are logged and leave its
   * schedules to the next tick.
   * @returns the jobs this call created (not those another worker created first).
   */
  async tick(): Promise<ScheduledFire[]> {
    const created: ScheduledFire[] = [];
    const seen = new Set<string>();
    for (const name of await this.#agentNames()) {
      try {
        const agent = await this.#options.agents.get(name);
        this.#warned.delete(name);
        const schedules = agent.schedules ?? [];
        // All marked seen first: one failing create must not make the agent's later schedules forget their last fire.
        for (const schedule of schedules) seen.add(`${agent.name}\0${schedule.name}`);
        for (const schedule of schedules) {
          created.push(...(await this.#fire(agent.name, schedule, `${agent.name}\0${schedule.name}`)));
        }
      } catch (error) {
        // Once per distinct problem, not every tick: an invalid agent stays invalid until its files change.
        const message = `Schedules of agent ${name}: ${errorMessage(error)}`;
        if (this.#warned.get(name) !== message) this.#log("warn", message);
        this.#warned.set(name, message);
      }
    }
    // A schedule removed and later added again starts from its jobs, not from a stale memory.
    for (const key of this.#last.keys()) if (!seen.has(key)) this.#last.delete(key);
    return created;
  }

  /** The agents to load this tick: every valid one, or the candidates of `agents.scheduled` (kept `discoverMs`). */
  async #agentNames(): Promise<readonly string[]> {
    const { agents } = this.#options;
    if (agents.scheduled === undefined) {
      return (await agents.list()).filter((summary) => summary.valid).map((summary) => summary.name);
    }
    const now = this.#now();
    if (this.#candidates === undefined || now - this.#candidates.at >= (this.#options.discoverMs ?? 5000)) {
      this.#candidates = { names: await agents.scheduled(), at: now };
    }
    return this.#candidates.names;
  }

  async #fire(agent: string, schedule: AgentSchedule, key: string): Promise<ScheduledFire[]> {
    const now = this.#now();
    const last = this.#last.get(key) ?? (await this.#lastDurableFire(agent, schedule.name)) ?? now;
    const onTimeFrom = Math.max(last, now - this.#graceMs);
    const fires = fireTimesBetween(schedule.trigger, onTimeFrom, now);
    if (fires.length === 0 && schedule.catchUp === "latest") {
      const missed = latestFireTime(schedule.trigger, onTimeFrom);
      if (missed !== undefined && missed > last) fires.push(missed);
    }
    const created: ScheduledFire[] = [];
    for (const fire of fires) {
      const result = await this.#options.store.create(
        DEFAULT_TENANT,
        {
          agent,
          input: schedule.input,
          ...(schedule.sessionId === undefined ? {} : { sessionId: schedule.sessionId }),
          runAt: new Date(fire).toISOString(),
          idempotencyKey: scheduleJobKey(agent, schedule.name, fire),
        },
        { now },
      );
      if (result.created) {
        created.push({
          agent,
          schedule: schedule.name,
          fireTime: new Date(fire).toISOString(),
          jobId: result.job.id,
        });
      }
    }
    // Only after every create succeeded: a store outage leaves these fires to the next tick.
    this.#last.set(key, now);
    return created;
  }

  /** The newest fire time among the schedule's job keys in the newest `historyLimit` jobs of the agent. */
  async #lastDurableFire(agent: string, schedule: string): Promise<number | undefined> {
    const prefix = scheduleKeyPrefix(agent, schedule);
    const limit = this.#options.historyLimit ?? 1000;
    let newest: number | undefined;
    let cursor: string | undefined;
    for (let scanned = 0; scanned < limit; ) {
      const page = await this.#options.store.list(DEFAULT_TENANT, {
        agent,
        limit: Math.min(200, limit - scanned),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const job of page.jobs) {
        if (!job.idempotencyKey?.startsWith(prefix)) continue;
        const fire = Date.parse(job.idempotencyKey.slice(prefix.length));
        if (!Number.isNaN(fire) && (newest === undefined || fire > newest)) newest = fire;
      }
      scanned += page.jobs.length;
      if (newest !== undefined || page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
    return newest;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#tick = this.tick()
        .then(
          () => undefined,
          (error: unknown) => this.#log("warn", `Schedules: ${errorMessage(error)}`),
        )
        .finally(() => {
          if (this.#running) this.#schedule(this.#tickMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  #log(level: "info" | "warn" | "error", message: string): void {
    this.#options.log?.(level, message);
  }
}

import { assertSafeName } from "../core/names.js";
import { KeyedLock } from "../services/fs/keyed-lock.js";
import type { Job } from "./job.js";
import {
  checkClaim,
  checkJobList,
  checkWorker,
  compareJobsForClaim,
  compareJobsNewestFirst,
  emptyJobCounts,
  encodeJobCursor,
  finishEvent,
  isAfterCursor,
  isJobId,
  jobNotFound,
  newJob,
  nowOf,
} from "./job-input.js";
import { applyJobEvent, hasLapsedLease, isDueJob, type JobEvent } from "./job-state.js";
import type {
  JobClaimOptions,
  JobCounts,
  JobCreateInput,
  JobCreateResult,
  JobLeaseOptions,
  JobListOptions,
  JobOutcome,
  JobPage,
  JobStore,
  JobWorkerOptions,
} from "./job-store.js";

/** Where a {@link LocalJobStore} keeps its state beyond the process (nothing for the in-memory store). */
export interface JobPersistence {
  /** Every job and every paused tenant stored so far; called once, before the first operation. */
  load(): Promise<{ jobs: Job[]; pausedTenants: string[] }>;
  /** Stores `job` durably; the store changes its memory only after this resolves. */
  saveJob(job: Job): Promise<void>;
  /** Stores a tenant's pause flag durably. */
  savePaused(tenant: string, paused: boolean): Promise<void>;
}

const ALL = "jobs";

/**
 * A {@link JobStore} over a map in process memory, optionally mirrored to durable storage (see
 * {@link JobPersistence}). Every operation runs under one in-process lock, so claims are serialised
 * and a job is written to storage before any caller sees its new state; one process per store.
 * Callers get copies, so they can never mutate stored state.
 */
export class LocalJobStore implements JobStore {
  readonly #persistence: JobPersistence | undefined;
  readonly #jobs = new Map<string, Job>();
  readonly #idempotency = new Map<string, string>();
  readonly #paused = new Set<string>();
  readonly #lock = new KeyedLock();
  #loaded: Promise<void> | undefined;

  constructor(persistence?: JobPersistence) {
    this.#persistence = persistence;
  }

  /** Runs `work` alone, after the stored state has been loaded once. */
  #exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    // A failed load (an unreadable folder) is retried by the next call instead of failing every call.
    this.#loaded ??= this.#load().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    return this.#lock.run(ALL, async () => {
      await this.#loaded;
      return work();
    });
  }

  async #load(): Promise<void> {
    if (this.#persistence === undefined) return;
    const { jobs, pausedTenants } = await this.#persistence.load();
    for (const job of jobs) this.#remember(job);
    for (const tenant of pausedTenants) this.#paused.add(tenant);
  }

  #remember(job: Job): void {
    this.#jobs.set(job.id, structuredClone(job));
    if (job.idempotencyKey !== undefined) {
      this.#idempotency.set(`${job.tenant}/${job.idempotencyKey}`, job.id);
    }
  }

  async #store(job: Job): Promise<Job> {
    await this.#persistence?.saveJob(job);
    this.#remember(job);
    return structuredClone(job);
  }

  /** The stored jobs themselves: never hand one out without `structuredClone`. */
  #all(): IterableIterator<Job> {
    return this.#jobs.values();
  }

  /** The tenant's job, or undefined (ids of other tenants and malformed ids are simply unknown). */
  #find(tenant: string, id: string): Job | undefined {
    assertSafeName("tenant", tenant);
    if (!isJobId(id)) return undefined;
    const job = this.#jobs.get(id);
    return job?.tenant === tenant ? job : undefined;
  }

  /** Applies `event` to the tenant's job `id` and stores the result. */
  #apply(tenant: string, id: string, event: JobEvent): Promise<Job> {
    return this.#exclusive(async () => {
      const job = this.#find(tenant, id);
      if (job === undefined) throw jobNotFound(id);
      const next = applyJobEvent(job, event);
      return next === job ? structuredClone(job) : this.#store(next);
    });
  }

  /** See {@link JobStore.create}. */
  async create(tenant: string, input: JobCreateInput, options?: { now?: number }): Promise<JobCreateResult> {
    const job = newJob(tenant, input, nowOf(options));
    return this.#exclusive(async () => {
      if (job.idempotencyKey !== undefined) {
        const existing = this.#idempotency.get(`${tenant}/${job.idempotencyKey}`);
        const found = existing === undefined ? undefined : this.#find(tenant, existing);
        if (found !== undefined) return { job: structuredClone(found), created: false };
      }
      return { job: await this.#store(job), created: true };
    });
  }

  /** See {@link JobStore.get}. */
  async get(tenant: string, id: string): Promise<Job | undefined> {
    return this.#exclusive(() => {
      const job = this.#find(tenant, id);
      return job === undefined ? undefined : structuredClone(job);
    });
  }

  /** See {@link JobStore.list}. */
  async list(tenant: string, options?: JobListOptions): Promise<JobPage> {
    const { status, agent, cursor, limit } = checkJobList(tenant, options);
    return this.#exclusive(() => {
      const matching = [...this.#all()]
        .filter(
          (job) =>
            job.tenant === tenant &&
            (status === undefined || job.status === status) &&
            (agent === undefined || job.agent === agent) &&
            (cursor === undefined || isAfterCursor(job, cursor)),
        )
        .sort(compareJobsNewestFirst);
      const jobs = matching.slice(0, limit).map((job) => structuredClone(job));
      const last = jobs.at(-1);
      return matching.length > limit && last !== undefined
        ? { jobs, nextCursor: encodeJobCursor(last) }
        : { jobs };
    });
  }

  /** See {@link JobStore.claim}. */
  async claim(options: JobClaimOptions): Promise<Job | undefined> {
    const { worker, leaseMs, now } = checkClaim(options);
    return this.#exclusive(async () => {
      let due: Job | undefined;
      for (const job of this.#all()) {
        if (!isDueJob(job, now) || this.#paused.has(job.tenant)) continue;
        if (due === undefined || compareJobsForClaim(job, due) < 0) due = job;
      }
      if (due === undefined) return undefined;
      const event: JobEvent = { type: "claim", worker, leaseMs, now };
      if (options.runId !== undefined) event.runId = options.runId;
      return this.#store(applyJobEvent(due, event));
    });
  }

  /** See {@link JobStore.heartbeat}. */
  async heartbeat(tenant: string, id: string, options: JobLeaseOptions): Promise<Job> {
    const { worker, leaseMs, now } = checkClaim(options);
    return this.#apply(tenant, id, { type: "heartbeat", worker, leaseMs, now });
  }

  /** See {@link JobStore.finish}. */
  async finish(tenant: string, id: string, outcome: JobOutcome, options: JobWorkerOptions): Promise<Job> {
    return this.#apply(tenant, id, finishEvent(outcome, checkWorker(options), nowOf(options)));
  }

  /** See {@link JobStore.approve}. */
  async approve(tenant: string, id: string, options?: { now?: number }): Promise<Job> {
    return this.#apply(tenant, id, { type: "approve", now: nowOf(options) });
  }

  /** See {@link JobStore.requestAbort}. */
  async requestAbort(tenant: string, id: string, options?: { now?: number }): Promise<Job> {
    return this.#apply(tenant, id, { type: "abort", now: nowOf(options) });
  }

  /** See {@link JobStore.acknowledgeAbort}. */
  async acknowledgeAbort(tenant: string, id: string, options: JobWorkerOptions): Promise<Job> {
    const worker = checkWorker(options);
    return this.#apply(tenant, id, { type: "acknowledge-abort", worker, now: nowOf(options) });
  }

  /** See {@link JobStore.reclaimExpired}. */
  async reclaimExpired(options?: { now?: number }): Promise<Job[]> {
    const now = nowOf(options);
    return this.#exclusive(async () => {
      const changed: Job[] = [];
      const lapsed = [...this.#all()].filter((candidate) => hasLapsedLease(candidate, now));
      for (const job of lapsed) {
        changed.push(await this.#store(applyJobEvent(job, { type: "expire", now })));
      }
      return changed;
    });
  }

  /** See {@link JobStore.counts}. */
  async counts(tenant: string): Promise<JobCounts> {
    assertSafeName("tenant", tenant);
    return this.#exclusive(() => {
      const counts = emptyJobCounts();
      for (const job of this.#all()) if (job.tenant === tenant) counts[job.status] += 1;
      return counts;
    });
  }

  /** See {@link JobStore.setPaused}. */
  async setPaused(tenant: string, paused: boolean): Promise<void> {
    assertSafeName("tenant", tenant);
    return this.#exclusive(async () => {
      await this.#persistence?.savePaused(tenant, paused);
      if (paused) this.#paused.add(tenant);
      else this.#paused.delete(tenant);
    });
  }

  /** See {@link JobStore.isPaused}. */
  async isPaused(tenant: string): Promise<boolean> {
    assertSafeName("tenant", tenant);
    return this.#exclusive(() => this.#paused.has(tenant));
  }
}

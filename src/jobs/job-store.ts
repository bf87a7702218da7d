import type { Job, JobError, JobStatus } from "./job.js";

/** What `create` takes; the store fills in id, status, attempts and times. */
export interface JobCreateInput {
  /** Safe agent name. */
  agent: string;
  /** The user message, at most 1 MiB of UTF-8. */
  input: string;
  /** Safe session name to continue; absent: a new session. */
  sessionId?: string;
  /** Start in `needs_approval` instead of `queued`. @default false */
  requiresApproval?: boolean;
  /** Earliest claim time, ISO-8601 (RFC 3339). @default now */
  runAt?: string;
  /** Claims allowed, 1-100. @default 3 */
  maxAttempts?: number;
  /**
   * 1-200 printable ASCII characters. A second `create` with the key of an existing job of the tenant
   * returns that job (`created: false`) and stores nothing.
   */
  idempotencyKey?: string;
}

/** The answer of `create`. */
export interface JobCreateResult {
  job: Job;
  /** False when `idempotencyKey` matched an existing job. */
  created: boolean;
}

/** Filters and paging of `list`. */
export interface JobListOptions {
  status?: JobStatus;
  agent?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1-200. @default 50 */
  limit?: number;
}

/** One page of jobs, newest first (`createdAt`, then id, descending). */
export interface JobPage {
  jobs: Job[];
  /** Present when more jobs follow; pass it as `cursor`. */
  nextCursor?: string;
}

/** Options of a worker's calls. `now` is epoch ms. @default now `Date.now()` */
export interface JobWorkerOptions {
  /** Worker id (1-200 characters), the lease owner. */
  worker: string;
  now?: number;
}

/** Options of `heartbeat`: the worker and the new lease length. */
export interface JobLeaseOptions extends JobWorkerOptions {
  /** Lease length in ms (1 s to 1 h), counted from `now`; heartbeat well within it. */
  leaseMs: number;
}

/** Options of `claim`. */
export interface JobClaimOptions extends JobLeaseOptions {
  /** Id of the run the worker will start (a safe name), recorded on the job. */
  runId?: string;
}

/** How the lease owner's run ended. */
export type JobOutcome = { status: "completed"; output: string } | { status: "failed"; error: JobError };

/** Number of jobs per status (every status present, 0 when none). */
export type JobCounts = Record<JobStatus, number>;

/**
 * Durable jobs of every tenant, claimed by workers with heartbeat leases. Every transition follows the
 * pure state machine of `job-state.ts` (one contract suite in test/contracts runs every backend):
 * each job reaches exactly one terminal state, and owner calls (`heartbeat`, `finish`,
 * `acknowledgeAbort`) are refused once the lease lapsed or moved, so a job never completes twice.
 *
 * Errors: PlutoError `JOB_NOT_FOUND` (404) for an unknown id or another tenant's job; `JOB_CONFLICT`
 * (409) for an event the job's state refuses; `BAD_REQUEST`/`INVALID_NAME` for bad input;
 * `BACKEND_UNAVAILABLE` (retryable) when a server is unreachable.
 */
export interface JobStore {
  /** Creates a job in `needs_approval` or `queued`. */
  create(tenant: string, input: JobCreateInput, options?: { now?: number }): Promise<JobCreateResult>;

  /** The job, or `undefined` (also for another tenant's id). */
  get(tenant: string, id: string): Promise<Job | undefined>;

  /** The tenant's jobs, newest first, filtered and paged. @throws `BAD_REQUEST` for a bad cursor or limit. */
  list(tenant: string, options?: JobListOptions): Promise<JobPage>;

  /**
   * Takes the next due job of any tenant that is not paused: `queued`, `runAt <= now`, earliest `runAt`
   * first (then oldest). Two claimers never get the same job.
   * @returns the job now `running` under this worker's lease, or `undefined` when none is due.
   */
  claim(options: JobClaimOptions): Promise<Job | undefined>;

  /** Extends the lease to `now + leaseMs` while this worker holds it and it has not lapsed. */
  heartbeat(tenant: string, id: string, options: JobLeaseOptions): Promise<Job>;

  /** Ends a `running` job as `completed` or `failed`; only the lease owner, before the lease lapses. */
  finish(tenant: string, id: string, outcome: JobOutcome, options: JobWorkerOptions): Promise<Job>;

  /** `needs_approval → queued`. */
  approve(tenant: string, id: string, options?: { now?: number }): Promise<Job>;

  /** `needs_approval | queued → aborted` at once; `running → aborting` until the owner acknowledges. */
  requestAbort(tenant: string, id: string, options?: { now?: number }): Promise<Job>;

  /** The lease owner stopped the run: `aborting → aborted`. */
  acknowledgeAbort(tenant: string, id: string, options: JobWorkerOptions): Promise<Job>;

  /**
   * Takes back jobs of every tenant whose lease lapsed before `now`: `running → queued` while attempts
   * are left (the worker layer marks the cut-off `runId` interrupted), else `failed`; `aborting → aborted`.
   * @returns the jobs changed, as they are now.
   */
  reclaimExpired(options?: { now?: number }): Promise<Job[]>;

  /** The tenant's job count per status. */
  counts(tenant: string): Promise<JobCounts>;

  /**
   * The tenant's panic switch: while paused, `claim` hands out none of its jobs (running ones go on
   * unless aborted). Takes effect for the next claim of every worker sharing the store.
   */
  setPaused(tenant: string, paused: boolean): Promise<void>;

  /** Whether the tenant is paused. */
  isPaused(tenant: string): Promise<boolean>;

  /** Releases resources (never a shared pool). */
  close?(): Promise<void>;
}

/**
 * The states of a job (issue "human in the loop", point 4; the job lifecycle of the butler design):
 * `needs_approval → queued → running → completed | failed`, `running → aborting → aborted`,
 * `needs_approval | queued → aborted`. See `job-state.ts` for every transition and docs/jobs.md.
 */
export type JobStatus =
  | "needs_approval"
  | "queued"
  | "running"
  | "aborting"
  | "completed"
  | "failed"
  | "aborted";

/** Every status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  "needs_approval",
  "queued",
  "running",
  "aborting",
  "completed",
  "failed",
  "aborted",
];

/** The states a job never leaves. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ["completed", "failed", "aborted"];

/** True for `completed`, `failed` and `aborted`. */
export function isTerminalJobStatus(status: JobStatus): boolean {
  return TERMINAL_JOB_STATUSES.includes(status);
}

/** Why a job failed: a stable code (a PlutoError code, or `JOB_LEASE_EXPIRED`) and a readable message. */
export interface JobError {
  code: string;
  message: string;
}

/** Who holds a running (or aborting) job and until when. */
export interface JobLease {
  /** Worker id given to `claim`. */
  owner: string;
  /** ISO-8601 time after which the lease has lapsed and `reclaimExpired` may take the job back. */
  expiresAt: string;
}

/**
 * One job: one run of an agent (or one more turn of a session) executed by a worker, not by the
 * request that created it. Times are ISO-8601 UTC with milliseconds (`Date.toISOString()`).
 */
export interface Job {
  /** `job_` plus 32 hex digits; unique per store. */
  id: string;
  /** Safe name; every store call is scoped by it. */
  tenant: string;
  /** Safe agent name. */
  agent: string;
  /** The user message the run starts with. */
  input: string;
  /** The session the run continues; absent: the worker starts a new one. */
  sessionId?: string;
  status: JobStatus;
  /** Created in `needs_approval` (true) or `queued` (false). */
  requiresApproval: boolean;
  /** Not claimed before this time. */
  runAt: string;
  /** Claims so far (a claim after a lapsed lease counts again). */
  attempts: number;
  /** Claims allowed before a lapsed lease fails the job. @default 3 */
  maxAttempts: number;
  /** Present while `running` or `aborting`. */
  lease?: JobLease;
  /** The run of the latest claim (kept after a lapsed lease, so the cut-off run can be marked interrupted). */
  runId?: string;
  /** Final text of a `completed` job. */
  output?: string;
  /** Why a `failed` job failed. */
  error?: JobError;
  /** The caller's idempotency key of `create`, unique per tenant. */
  idempotencyKey?: string;
  createdAt: string;
  updatedAt: string;
}

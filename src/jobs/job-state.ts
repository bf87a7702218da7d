import { PlutoError } from "../core/errors.js";
import type { Job, JobError, JobStatus } from "./job.js";

/**
 * What can happen to a job. `now` is the caller's clock in epoch milliseconds; every backend compares
 * leases with the `now` it is given, so workers' clocks must agree to well within a lease (NTP).
 */
export type JobEvent =
  /** A person said yes: `needs_approval → queued`. */
  | { type: "approve"; now: number }
  /** A worker takes a due job: `queued → running`, one more attempt, a lease of `leaseMs`. */
  | { type: "claim"; worker: string; leaseMs: number; now: number; runId?: string }
  /** The lease owner is still alive: the lease is extended to `now + leaseMs` while it has not lapsed. */
  | { type: "heartbeat"; worker: string; leaseMs: number; now: number }
  /** The lease owner finished the run: `running → completed`. */
  | { type: "complete"; worker: string; output: string; now: number }
  /** The lease owner's run failed: `running → failed`. */
  | { type: "fail"; worker: string; error: JobError; now: number }
  /** Someone asked to stop: `needs_approval | queued → aborted` at once, `running → aborting`. */
  | { type: "abort"; now: number }
  /** The lease owner stopped the run: `aborting → aborted`. */
  | { type: "acknowledge-abort"; worker: string; now: number }
  /**
   * The lease lapsed (the worker died): `running → queued` while attempts are left, else `failed`;
   * `aborting → aborted`.
   */
  | { type: "expire"; now: number };

/** The allowed edges of the lifecycle (docs/jobs.md draws them). */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  needs_approval: ["queued", "aborted"],
  queued: ["running", "aborted"],
  running: ["completed", "failed", "aborting", "queued"],
  aborting: ["aborted"],
  completed: [],
  failed: [],
  aborted: [],
};

/** The result of {@link transitionJob}: the next job, or why the event does not apply. */
export type JobTransition = { ok: true; job: Job } | { ok: false; error: PlutoError };

/** `code` of the error a job gets when its last allowed lease lapsed. */
export const JOB_LEASE_EXPIRED = "JOB_LEASE_EXPIRED";

/**
 * The job state machine as one pure function: the job after `event`, or a refusal. Never mutates `job`.
 * A refusal is a PlutoError `JOB_CONFLICT` (HTTP 409) whose details name the job, its status and the
 * event (`{ jobId, status, event, reason }`, reason one of `status`, `not-owner`, `lease-lapsed`,
 * `lease-active`, `not-due`). Every event of a lease owner (`heartbeat`, `complete`, `fail`,
 * `acknowledge-abort`) is refused once the lease has lapsed or moved to another worker, so a job
 * never completes twice. `abort` of an `aborting` job succeeds and changes nothing (it is idempotent).
 */
export function transitionJob(job: Job, event: JobEvent): JobTransition {
  const at = new Date(event.now).toISOString();
  const refuse = (reason: string, message: string): JobTransition => ({
    ok: false,
    error: new PlutoError("JOB_CONFLICT", `Job ${job.id} is ${job.status}: ${message}`, {
      details: { jobId: job.id, status: job.status, event: event.type, reason },
    }),
  });
  const next = (status: JobStatus, changes: Partial<Job> = {}): JobTransition => {
    const updated: Job = { ...job, ...changes, status, updatedAt: at };
    if (status !== "running" && status !== "aborting") delete updated.lease;
    return { ok: true, job: updated };
  };
  const leaseLapsed = job.lease === undefined || Date.parse(job.lease.expiresAt) <= event.now;
  /** Refusal for an owner event that the current holder of the lease may not send. */
  const ownerProblem = (worker: string, statuses: readonly JobStatus[]): JobTransition | undefined => {
    if (!statuses.includes(job.status)) {
      return refuse("status", `"${event.type}" applies only to ${statuses.join(" or ")} jobs.`);
    }
    if (job.lease?.owner !== worker) {
      return refuse("not-owner", `worker "${worker}" does not hold its lease; it was claimed again.`);
    }
    if (leaseLapsed) {
      return refuse("lease-lapsed", `the lease of worker "${worker}" lapsed; heartbeat more often.`);
    }
    return undefined;
  };

  switch (event.type) {
    case "approve":
      if (job.status !== "needs_approval") {
        return refuse("status", "only jobs waiting for approval can be approved.");
      }
      return next("queued");
    case "claim":
      if (job.status !== "queued") return refuse("status", "only queued jobs can be claimed.");
      if (Date.parse(job.runAt) > event.now) return refuse("not-due", `it is not due before ${job.runAt}.`);
      return next("running", {
        attempts: job.attempts + 1,
        lease: { owner: event.worker, expiresAt: new Date(event.now + event.leaseMs).toISOString() },
        ...(event.runId === undefined ? {} : { runId: event.runId }),
      });
    case "heartbeat": {
      const problem = ownerProblem(event.worker, ["running", "aborting"]);
      if (problem !== undefined) return problem;
      return next(job.status, {
        lease: { owner: event.worker, expiresAt: new Date(event.now + event.leaseMs).toISOString() },
      });
    }
    case "complete":
      return ownerProblem(event.worker, ["running"]) ?? next("completed", { output: event.output });
    case "fail":
      return ownerProblem(event.worker, ["running"]) ?? next("failed", { error: { ...event.error } });
    case "acknowledge-abort":
      return ownerProblem(event.worker, ["aborting"]) ?? next("aborted");
    case "abort":
      if (job.status === "needs_approval" || job.status === "queued") return next("aborted");
      if (job.status === "running") return next("aborting");
      if (job.status === "aborting") return { ok: true, job };
      return refuse("status", "a finished job cannot be aborted.");
    case "expire":
      if (job.status !== "running" && job.status !== "aborting") {
        return refuse("status", "only running or aborting jobs hold a lease.");
      }
      if (!leaseLapsed) return refuse("lease-active", `its lease runs until ${job.lease?.expiresAt}.`);
      if (job.status === "aborting") return next("aborted");
      if (job.attempts < job.maxAttempts) return next("queued");
      return next("failed", {
        error: {
          code: JOB_LEASE_EXPIRED,
          message: `The worker's lease lapsed on attempt ${job.attempts} of ${job.maxAttempts}; the job is not retried again.`,
        },
      });
  }
}

/**
 * {@link transitionJob} for stores: the next job, or the refusal thrown.
 * @throws PlutoError `JOB_CONFLICT`.
 */
export function applyJobEvent(job: Job, event: JobEvent): Job {
  const result = transitionJob(job, event);
  if (!result.ok) throw result.error;
  return result.job;
}

/** True when `job` holds a lease that has lapsed at `now` (epoch ms): `reclaimExpired` takes it. */
export function hasLapsedLease(job: Job, now: number): boolean {
  return (
    (job.status === "running" || job.status === "aborting") &&
    (job.lease === undefined || Date.parse(job.lease.expiresAt) <= now)
  );
}

/** True when `job` is queued and due at `now` (epoch ms). */
export function isDueJob(job: Job, now: number): boolean {
  return job.status === "queued" && Date.parse(job.runAt) <= now;
}

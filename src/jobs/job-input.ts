import { randomUUID } from "node:crypto";
import { PlutoError } from "../core/errors.js";
import { assertSafeName } from "../core/names.js";
import { JOB_STATUSES, type Job, type JobStatus } from "./job.js";
import type { JobEvent } from "./job-state.js";
import type {
  JobClaimOptions,
  JobCounts,
  JobCreateInput,
  JobLeaseOptions,
  JobListOptions,
  JobOutcome,
  JobWorkerOptions,
} from "./job-store.js";

/** Checks shared by every {@link JobStore} backend, so they accept and refuse exactly the same input. */

const MAX_INPUT_BYTES = 1024 * 1024;
const JOB_ID = /^job_[0-9a-f]{32}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const WORKER_ID = /^[\x21-\x7e]{1,200}$/;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

function badRequest(message: string, details: Record<string, unknown>): PlutoError {
  return new PlutoError("BAD_REQUEST", message, { details });
}

/** A new job id: `job_` and 32 hex digits. */
export function newJobId(): string {
  return `job_${randomUUID().replaceAll("-", "")}`;
}

/** True when `id` has the shape of a job id (anything else cannot exist, so it is simply not found). */
export function isJobId(id: string): boolean {
  return typeof id === "string" && JOB_ID.test(id);
}

/** The error for an unknown job or another tenant's job (they look the same on purpose). */
export function jobNotFound(id: string): PlutoError {
  return new PlutoError(
    "JOB_NOT_FOUND",
    `No job ${JSON.stringify(String(id).slice(0, 80))} in this tenant. List jobs with GET /api/v1/jobs.`,
    { details: { jobId: String(id).slice(0, 200) } },
  );
}

/** `now` of an options object, or the clock. */
export function nowOf(options?: { now?: number }): number {
  const now = options?.now ?? Date.now();
  if (!Number.isFinite(now)) throw badRequest("now must be epoch milliseconds.", { now: String(now) });
  return now;
}

/** Checks a worker id. @throws PlutoError `BAD_REQUEST`. */
export function checkWorker(options: JobWorkerOptions): string {
  if (typeof options?.worker !== "string" || !WORKER_ID.test(options.worker)) {
    throw badRequest("A worker id is 1-200 printable ASCII characters without spaces.", {
      worker: String(options?.worker).slice(0, 200),
    });
  }
  return options.worker;
}

/**
 * Checks claim or heartbeat options. @returns worker, lease length and `now`.
 * @throws PlutoError `BAD_REQUEST` for a bad worker id or lease; `INVALID_NAME` for an unsafe run id.
 */
export function checkClaim(options: JobLeaseOptions & Pick<JobClaimOptions, "runId">): {
  worker: string;
  leaseMs: number;
  now: number;
} {
  const worker = checkWorker(options);
  if (!Number.isInteger(options.leaseMs) || options.leaseMs < 1000 || options.leaseMs > 3_600_000) {
    throw badRequest("leaseMs is a whole number of milliseconds from 1000 to 3600000.", {
      leaseMs: options.leaseMs,
    });
  }
  if (options.runId !== undefined) assertSafeName("run", options.runId);
  return { worker, leaseMs: options.leaseMs, now: nowOf(options) };
}

/**
 * The event of a lease owner's `finish`, with the output and error as plain strings (whatever the caller
 * passed), so every backend stores exactly the same thing.
 */
export function finishEvent(outcome: JobOutcome, worker: string, now: number): JobEvent & { worker: string } {
  if (outcome?.status === "completed")
    return { type: "complete", worker, output: String(outcome.output), now };
  if (outcome?.status === "failed") {
    const error = { code: String(outcome.error?.code), message: String(outcome.error?.message) };
    return { type: "fail", worker, error, now };
  }
  throw badRequest('A job outcome has status "completed" (with output) or "failed" (with error).', {});
}

/**
 * Validates `create` input and builds the new job.
 * @throws PlutoError `INVALID_NAME` for an unsafe tenant, agent or session; `BAD_REQUEST` for an input
 *   over 1 MiB, a `runAt` that is not RFC 3339, `maxAttempts` outside 1-100 or a bad idempotency key.
 */
export function newJob(tenant: string, input: JobCreateInput, now: number): Job {
  assertSafeName("tenant", tenant);
  assertSafeName("agent", input?.agent);
  if (typeof input.input !== "string" || Buffer.byteLength(input.input, "utf8") > MAX_INPUT_BYTES) {
    throw badRequest("A job's input is a string of at most 1 MiB.", { agent: input.agent });
  }
  if (input.sessionId !== undefined) assertSafeName("session", input.sessionId);
  let runAt = new Date(now).toISOString();
  if (input.runAt !== undefined) {
    const parsed = typeof input.runAt === "string" ? Date.parse(input.runAt) : Number.NaN;
    if (!/^\d{4}-\d{2}-\d{2}T/.test(String(input.runAt)) || Number.isNaN(parsed)) {
      throw badRequest(
        `run_at ${JSON.stringify(String(input.runAt).slice(0, 80))} is not an RFC 3339 time; write e.g. 2026-12-24T08:00:00Z.`,
        { runAt: String(input.runAt).slice(0, 200) },
      );
    }
    runAt = new Date(parsed).toISOString();
  }
  const maxAttempts = input.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw badRequest("max_attempts is a whole number from 1 to 100.", { maxAttempts });
  }
  if (input.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    throw badRequest("An idempotency key is 1-200 printable ASCII characters without spaces.", {});
  }
  const at = new Date(now).toISOString();
  const job: Job = {
    id: newJobId(),
    tenant,
    agent: input.agent,
    input: input.input,
    status: input.requiresApproval === true ? "needs_approval" : "queued",
    requiresApproval: input.requiresApproval === true,
    runAt,
    attempts: 0,
    maxAttempts,
    createdAt: at,
    updatedAt: at,
  };
  if (input.sessionId !== undefined) job.sessionId = input.sessionId;
  if (input.idempotencyKey !== undefined) job.idempotencyKey = input.idempotencyKey;
  return job;
}

/** Where a page starts: after the job with this `createdAt` and id (newest-first order). */
export interface JobCursor {
  createdAt: string;
  id: string;
}

/** The opaque cursor after `job`: base64url of `[createdAt, id]`. */
export function encodeJobCursor(job: Job): string {
  return Buffer.from(JSON.stringify([job.createdAt, job.id])).toString("base64url");
}

/**
 * Validates list options. @returns the decoded cursor and the limit (default 50).
 * @throws PlutoError `BAD_REQUEST` for an unknown status, a cursor this store did not write or a limit outside 1-200;
 *   `INVALID_NAME` for an unsafe agent or tenant.
 */
export function checkJobList(
  tenant: string,
  options: JobListOptions = {},
): { status?: JobStatus; agent?: string; cursor?: JobCursor; limit: number } {
  assertSafeName("tenant", tenant);
  const { status, agent } = options;
  if (status !== undefined && !JOB_STATUSES.includes(status)) {
    throw badRequest(
      `Unknown job status ${JSON.stringify(String(status).slice(0, 40))}; use one of ${JOB_STATUSES.join(", ")}.`,
      {
        status: String(status).slice(0, 200),
      },
    );
  }
  if (agent !== undefined) assertSafeName("agent", agent);
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw badRequest(`limit is a whole number from 1 to ${MAX_LIMIT}.`, { limit });
  }
  const checked: { status?: JobStatus; agent?: string; cursor?: JobCursor; limit: number } = { limit };
  if (status !== undefined) checked.status = status;
  if (agent !== undefined) checked.agent = agent;
  if (options.cursor !== undefined) checked.cursor = decodeJobCursor(options.cursor);
  return checked;
}

function decodeJobCursor(cursor: string): JobCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(String(cursor), "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      !Number.isNaN(Date.parse(value[0])) &&
      typeof value[1] === "string" &&
      isJobId(value[1])
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the error below: a cursor is only ever what a previous page returned.
  }
  throw badRequest("Invalid cursor; pass the next_cursor of the previous page unchanged.", {});
}

/** Newest-first order of `list`: `createdAt` descending, then id descending (code points). */
export function compareJobsNewestFirst(left: JobCursor, right: JobCursor): number {
  if (left.createdAt !== right.createdAt) return left.createdAt < right.createdAt ? 1 : -1;
  return left.id < right.id ? 1 : left.id > right.id ? -1 : 0;
}

/** True when `job` comes after `cursor` in newest-first order. */
export function isAfterCursor(job: Job, cursor: JobCursor): boolean {
  return compareJobsNewestFirst(job, cursor) > 0;
}

/** Claim order: earliest `runAt`, then oldest `createdAt`, then id. */
export function compareJobsForClaim(left: Job, right: Job): number {
  if (left.runAt !== right.runAt) return left.runAt < right.runAt ? -1 : 1;
  if (left.createdAt !== right.createdAt) return left.createdAt < right.createdAt ? -1 : 1;
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0;
}

/** A count of 0 for every status. */
export function emptyJobCounts(): JobCounts {
  return Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as JobCounts;
}

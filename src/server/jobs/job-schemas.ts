import { z } from "zod";
import { JOB_STATUSES, type Job } from "../../jobs/job.js";
import { jobSessionId } from "../../jobs/job-runs.js";
import { MAX_INPUT_CHARS } from "../schemas.js";

/** Body of `POST /api/v1/jobs` (docs/jobs.md). `run_at` is checked by the job store (RFC 3339). */
export const CreateJobBody = z.strictObject({
  agent: z.string().min(1).max(128).describe("The agent that runs the job."),
  input: z.string().min(1, "input must not be empty").max(MAX_INPUT_CHARS).describe("The user message."),
  session_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("A session of the agent to continue. Default: the job's own session, named after the job."),
  requires_approval: z
    .boolean()
    .optional()
    .describe("Wait in `needs_approval` until `POST /api/v1/jobs/{id}/approve`. Default false."),
  run_at: z
    .string()
    .max(64)
    .optional()
    .describe(
      "RFC 3339 time before which no worker takes the job, e.g. `2026-12-24T08:00:00Z`. Default now.",
    ),
  max_attempts: z
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe("Claims allowed when workers die mid-job, 1-100. Default 3."),
  idempotency_key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("A second create with the same key returns the first job (200) and creates nothing."),
});
export type CreateJobBody = z.infer<typeof CreateJobBody>;

/** Query of `GET /api/v1/jobs`. */
export const ListJobsQuery = z.strictObject({
  status: z.enum(JOB_STATUSES as [Job["status"], ...Job["status"][]]).optional(),
  agent: z.string().min(1).max(128).optional(),
  cursor: z.string().max(500).optional().describe("`next_cursor` of the previous page."),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "limit must be a whole number from 1 to 200")
    .optional()
    .describe("1-200, default 50."),
});

/** Body of `POST /api/v1/admin/pause` (may be empty). */
export const PauseBody = z.strictObject({
  abort_running: z.boolean().optional().describe("Also abort the tenant's running jobs. Default false."),
});

/** A job as the HTTP API shows it (the tenant is the caller's and not repeated). */
export const JobObject = z.object({
  id: z.string().describe("`job_` + 32 hex digits."),
  agent: z.string(),
  input: z.string(),
  session_id: z.string().describe("The session the job's runs append to (`GET /api/v1/jobs/{id}/events`)."),
  status: z.enum(JOB_STATUSES as [Job["status"], ...Job["status"][]]),
  requires_approval: z.boolean(),
  run_at: z.string(),
  attempts: z.int(),
  max_attempts: z.int(),
  lease: z.object({ owner: z.string(), expires_at: z.string() }).optional(),
  output: z.string().optional().describe("Final text of a completed job."),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  idempotency_key: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The HTTP shape of a job. */
export function jobJson(job: Job): z.infer<typeof JobObject> {
  return {
    id: job.id,
    agent: job.agent,
    input: job.input,
    session_id: jobSessionId(job),
    status: job.status,
    requires_approval: job.requiresApproval,
    run_at: job.runAt,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    ...(job.lease === undefined
      ? {}
      : { lease: { owner: job.lease.owner, expires_at: job.lease.expiresAt } }),
    ...(job.output === undefined ? {} : { output: job.output }),
    ...(job.error === undefined ? {} : { error: { code: job.error.code, message: job.error.message } }),
    ...(job.idempotencyKey === undefined ? {} : { idempotency_key: job.idempotencyKey }),
    created_at: job.createdAt,
    updated_at: job.updatedAt,
  };
}

import type { Job, JobStatus } from "./job.js";

/** How a {@link Job} maps to a row of the PostgreSQL table `jobs` and back. */

/** A row of table `jobs` (migration 0004) as `pg` returns it (`json` columns parsed). */
export interface JobRow {
  tenant: string;
  id: string;
  agent: string;
  input: string;
  session_id: string | null;
  status: JobStatus;
  requires_approval: boolean;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  run_id: string | null;
  output: string | null;
  error: { code: string; message: string } | null;
  idempotency_key: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Every column of `jobs`, in the order of {@link rowValues}. */
export const COLUMNS =
  "tenant, id, agent, input, session_id, status, requires_approval, run_at, attempts, max_attempts, lease_owner, lease_expires_at, run_id, output, error, idempotency_key, created_at, updated_at";

/** The {@link Job} of a row. */
export function toJob(row: JobRow): Job {
  const job: Job = {
    id: row.id,
    tenant: row.tenant,
    agent: row.agent,
    input: row.input,
    status: row.status,
    requiresApproval: row.requires_approval,
    runAt: row.run_at.toISOString(),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.session_id !== null) job.sessionId = row.session_id;
  if (row.lease_owner !== null && row.lease_expires_at !== null) {
    job.lease = { owner: row.lease_owner, expiresAt: row.lease_expires_at.toISOString() };
  }
  if (row.run_id !== null) job.runId = row.run_id;
  if (row.output !== null) job.output = row.output;
  if (row.error !== null) job.error = row.error;
  if (row.idempotency_key !== null) job.idempotencyKey = row.idempotency_key;
  return job;
}

/** The values of every column of `job`, in {@link COLUMNS} order. */
export function rowValues(job: Job): unknown[] {
  return [
    job.tenant,
    job.id,
    job.agent,
    JSON.stringify(job.input),
    job.sessionId ?? null,
    job.status,
    job.requiresApproval,
    job.runAt,
    job.attempts,
    job.maxAttempts,
    job.lease?.owner ?? null,
    job.lease?.expiresAt ?? null,
    job.runId ?? null,
    job.output === undefined ? null : JSON.stringify(job.output),
    job.error === undefined ? null : JSON.stringify(job.error),
    job.idempotencyKey ?? null,
    job.createdAt,
    job.updatedAt,
  ];
}

/** `$1, $2, …` for the columns of {@link rowValues}. */
export const PLACEHOLDERS = COLUMNS.split(", ")
  .map((_, index) => `$${index + 1}`)
  .join(", ");

import type { Job } from "./job.js";

/**
 * The session a job's runs append to: the job's `sessionId`, else one named after the job (its id is a
 * safe name), so every attempt of the job continues the same session and its events stay findable.
 */
export function jobSessionId(job: Pick<Job, "id" | "sessionId">): string {
  return job.sessionId ?? job.id;
}

/**
 * The id of the run of the job's current attempt: `run_<job id>_a<attempt>`. Deterministic, so a worker
 * that takes over after a crash finds the runs of earlier attempts in the session log
 * ({@link isRunOfJob}) and never runs a job again whose run already completed.
 */
export function jobRunId(job: Pick<Job, "id" | "attempts">): string {
  return `${runPrefix(job)}${job.attempts}`;
}

/** True when `runId` is the run of one of the job's attempts. */
export function isRunOfJob(job: Pick<Job, "id">, runId: string): boolean {
  return runId.startsWith(runPrefix(job)) && /^\d+$/.test(runId.slice(runPrefix(job).length));
}

function runPrefix(job: Pick<Job, "id">): string {
  return `run_${job.id}_a`;
}

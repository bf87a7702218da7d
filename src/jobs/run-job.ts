import { errorMessage, isPlutoError } from "../core/errors.js";
import { type RunEndEvent, type SessionEvent, ZERO_USAGE } from "../core/events.js";
import type { RunHandle, StartRunRequest } from "../runs/run-manager.js";
import type { SessionKey } from "../services/session/session-store.js";
import type { Job, JobError } from "./job.js";
import { isRunOfJob, jobRunId, jobSessionId } from "./job-runs.js";
import type { JobOutcome, JobStore } from "./job-store.js";

/** The part of `RunManager` a job worker uses. */
export interface JobRuns {
  start(request: StartRunRequest): Promise<RunHandle>;
  abort(runId: string, tenant?: string): boolean;
  /** Marks a cut-off run of the session interrupted and returns the session's events. */
  touch(key: SessionKey): Promise<SessionEvent[]>;
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  store: JobStore;
  runs: JobRuns;
  /** The lease owner that claimed the job. */
  worker: string;
  /** Lease length in ms each heartbeat asks for. */
  leaseMs: number;
  /** Milliseconds between heartbeats; each one also notices an abort request. */
  heartbeatMs: number;
  /** @default Date.now */
  now?: () => number;
  /** Problems that do not end the job (a heartbeat that failed once). */
  log?: (level: "warn" | "error", message: string) => void;
}

/**
 * Runs one job this worker has just claimed (`running`, its lease held by `options.worker`) as one run
 * of its session (`jobSessionId`), named `jobRunId` so that a later attempt can find it:
 *
 * - A retry first recovers the session (`touch` marks the cut-off run `RUN_INTERRUPTED`); when a run of
 *   an earlier attempt already completed (the worker died between the run's end and `finish`), the job
 *   is finished with that run's output and nothing runs again.
 * - While the run goes on, the lease is renewed every `heartbeatMs`; a heartbeat that finds the job
 *   `aborting` aborts the run, and one refused with `JOB_CONFLICT` (the lease lapsed and moved) aborts
 *   it and leaves the job alone: it belongs to another worker now.
 * - The run's `run-end` decides the job: `completed` (and `awaiting-approval`: the run ended waiting for
 *   a tool decision on its session, which continues it) → `completed` with the run's output; `failed` →
 *   `failed` with the run's error; `aborted` → acknowledged when an abort was asked for, else `failed`
 *   with `RUN_ABORTED`. A job aborted while its run still completed is acknowledged as aborted.
 *
 * @returns the job as it ended, or `undefined` when this worker lost it (the store said no).
 * Never throws for run failures; store errors other than refusals, and retryable errors (PlutoError
 * `retryable`, e.g. `BACKEND_UNAVAILABLE`) of the run's start or session log, propagate: the lease then
 * lapses and the job is retried, up to `maxAttempts` claims.
 */
export async function runJob(job: Job, options: RunJobOptions): Promise<Job | undefined> {
  const { store, runs } = options;
  const now = options.now ?? Date.now;
  const key: SessionKey = { tenant: job.tenant, agent: job.agent, session: jobSessionId(job) };
  const owner = { worker: options.worker };

  const settle = async (outcome: JobOutcome): Promise<Job | undefined> => {
    try {
      return await store.finish(job.tenant, job.id, outcome, { ...owner, now: now() });
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Aborted while the run was ending: the abort wins, the run's result stays in the session log.
      const current = await store.get(job.tenant, job.id);
      if (current?.status !== "aborting") return undefined;
      return acknowledge();
    }
  };
  const acknowledge = async (): Promise<Job | undefined> => {
    try {
      return await store.acknowledgeAbort(job.tenant, job.id, { ...owner, now: now() });
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  };

  if (job.attempts > 1) {
    const events = await runs.touch(key);
    const completed = events.find(
      (event): event is SessionEvent & RunEndEvent =>
        event.type === "run-end" && event.status === "completed" && isRunOfJob(job, event.runId),
    );
    if (completed !== undefined) return settle({ status: "completed", output: completed.output ?? "" });
  }

  const runId = jobRunId(job);
  let handle: RunHandle;
  try {
    handle = await runs.start({
      agent: job.agent,
      input: job.input,
      tenant: job.tenant,
      sessionId: key.session,
      runId,
      // A session named after the job is the job's own; a given one must belong to the job's agent.
      checkOwner: job.sessionId !== undefined,
    });
  } catch (error) {
    // A store that is briefly down is no reason to fail the job: let the lease lapse and retry it.
    if (isRetryable(error)) throw error;
    return settle({ status: "failed", error: jobErrorOf(error) });
  }

  let lost = false;
  let abortRequested = false;
  let beating: Promise<void> = Promise.resolve();
  const beat = async () => {
    try {
      const current = await store.heartbeat(job.tenant, job.id, {
        ...owner,
        leaseMs: options.leaseMs,
        now: now(),
      });
      if (current.status === "aborting" && !abortRequested) {
        abortRequested = true;
        runs.abort(runId, job.tenant);
      }
    } catch (error) {
      if (isConflict(error)) {
        lost = true;
        runs.abort(runId, job.tenant);
        return;
      }
      options.log?.("warn", `Job ${job.id}: heartbeat failed (${errorMessage(error)}); retrying.`);
    }
  };
  const timer = setInterval(() => {
    beating = beating.then(beat);
  }, options.heartbeatMs);
  let end: RunEndEvent;
  try {
    end = await handle.result;
  } catch (error) {
    // The session log could not be written: retried after the lease like a crash, when that may help.
    if (isRetryable(error)) throw error;
    end = {
      type: "run-end",
      runId,
      time: new Date(now()).toISOString(),
      status: "failed",
      usage: ZERO_USAGE,
      steps: 0,
      error: jobErrorOf(error),
    };
  } finally {
    clearInterval(timer);
    await beating;
  }
  if (lost) return undefined;
  switch (end.status) {
    case "aborted":
      if (abortRequested) return acknowledge();
      return settle({
        status: "failed",
        error: { code: "RUN_ABORTED", message: "The job's run was aborted before it finished." },
      });
    case "failed":
      return settle({
        status: "failed",
        error: end.error ?? { code: "RUN_FAILED", message: "The job's run failed." },
      });
    default:
      return settle({ status: "completed", output: end.output ?? "" });
  }
}

function isRetryable(error: unknown): boolean {
  return isPlutoError(error) && error.retryable;
}

function isConflict(error: unknown): boolean {
  return isPlutoError(error) && error.code === "JOB_CONFLICT";
}

function jobErrorOf(error: unknown): JobError {
  return isPlutoError(error)
    ? { code: error.code, message: error.message }
    : { code: "INTERNAL", message: errorMessage(error) };
}

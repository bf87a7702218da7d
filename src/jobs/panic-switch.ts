import { isPlutoError } from "../core/errors.js";
import type { Job } from "./job.js";
import type { JobStore } from "./job-store.js";

/** Jobs read per page when a tenant's running jobs are walked. */
const PAGE = 200;

/** A worker as the panic switch's state shows it: a lease owner of the tenant's active jobs. */
export interface JobWorkerInfo {
  /** The worker id (`JobWorkerPool.workerId`). */
  id: string;
  /** Running and aborting jobs of the tenant it holds. */
  jobs: number;
  /** The latest lease expiry among them, ISO-8601. */
  leaseExpiresAt: string;
}

/** The panic switch's view of one tenant. */
export interface JobsState {
  paused: boolean;
  needsApproval: number;
  queued: number;
  running: number;
  aborting: number;
  /**
   * Lease owners of the tenant's running and aborting jobs (the store keeps no other record of
   * workers, so an idle worker does not appear).
   */
  workers: JobWorkerInfo[];
}

/** Every running and aborting job of the tenant, a page at a time. */
async function* activeJobs(store: JobStore, tenant: string): AsyncGenerator<Job> {
  for (const status of ["running", "aborting"] as const) {
    let cursor: string | undefined;
    do {
      const page = await store.list(tenant, {
        status,
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      yield* page.jobs;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
}

/** Whether the tenant is paused, its job counts and the workers holding its jobs. */
export async function jobsState(store: JobStore, tenant: string): Promise<JobsState> {
  const [paused, counts] = await Promise.all([store.isPaused(tenant), store.counts(tenant)]);
  const workers = new Map<string, JobWorkerInfo>();
  for await (const job of activeJobs(store, tenant)) {
    if (job.lease === undefined) continue;
    const worker = workers.get(job.lease.owner) ?? { id: job.lease.owner, jobs: 0, leaseExpiresAt: "" };
    worker.jobs += 1;
    if (job.lease.expiresAt > worker.leaseExpiresAt) worker.leaseExpiresAt = job.lease.expiresAt;
    workers.set(worker.id, worker);
  }
  return {
    paused,
    needsApproval: counts.needs_approval,
    queued: counts.queued,
    running: counts.running,
    aborting: counts.aborting,
    workers: [...workers.values()],
  };
}

/**
 * Pauses the tenant: no worker sharing the store claims its jobs from its next claim on. With
 * `abortRunning`, every running job of the tenant is also asked to abort (`running → aborting`; its
 * worker stops the run within a heartbeat).
 * @returns how many running jobs were asked to abort.
 * @throws store errors (`BACKEND_UNAVAILABLE`); a job that ended meanwhile is skipped.
 */
export async function pauseJobs(
  store: JobStore,
  tenant: string,
  options: { abortRunning?: boolean } = {},
): Promise<{ aborted: number }> {
  await store.setPaused(tenant, true);
  let aborted = 0;
  if (options.abortRunning !== true) return { aborted };
  // Collected first: aborting moves jobs out of `running`, which would shift the pages.
  const running: string[] = [];
  for await (const job of activeJobs(store, tenant)) if (job.status === "running") running.push(job.id);
  for (const id of running) {
    try {
      await store.requestAbort(tenant, id);
      aborted += 1;
    } catch (error) {
      if (!isPlutoError(error) || error.code !== "JOB_CONFLICT") throw error;
    }
  }
  return { aborted };
}

import type { Job } from "./job.js";
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

/**
 * A `JobStore` that calls `wake` after every change that may have made a job claimable: a job created
 * `queued`, an approval (`needs_approval → queued`) and a tenant resumed. The composition root wraps
 * the store the routes and the CLI use with it and points `wake` at this process's `JobWorkerPool`, so
 * an idle worker in the same process claims the new job at once instead of after its poll interval
 * (`jobs.poll_interval_ms`, 500 ms by default, which dominated the pickup latency in bench/jobs.js).
 * Workers in other processes still find it on their next poll. Everything else is passed through.
 */
export class WakingJobStore implements JobStore {
  readonly #store: JobStore;
  readonly #wake: () => void;

  /** @param store the store every call goes to @param wake called after a change; must not throw */
  constructor(store: JobStore, wake: () => void) {
    this.#store = store;
    this.#wake = wake;
  }

  async create(tenant: string, input: JobCreateInput, options?: { now?: number }): Promise<JobCreateResult> {
    const result = await this.#store.create(tenant, input, options);
    if (result.created && result.job.status === "queued") this.#wake();
    return result;
  }

  async approve(tenant: string, id: string, options?: { now?: number }): Promise<Job> {
    const job = await this.#store.approve(tenant, id, options);
    this.#wake();
    return job;
  }

  async setPaused(tenant: string, paused: boolean): Promise<void> {
    await this.#store.setPaused(tenant, paused);
    if (!paused) this.#wake();
  }

  get(tenant: string, id: string): Promise<Job | undefined> {
    return this.#store.get(tenant, id);
  }

  list(tenant: string, options?: JobListOptions): Promise<JobPage> {
    return this.#store.list(tenant, options);
  }

  claim(options: JobClaimOptions): Promise<Job | undefined> {
    return this.#store.claim(options);
  }

  heartbeat(tenant: string, id: string, options: JobLeaseOptions): Promise<Job> {
    return this.#store.heartbeat(tenant, id, options);
  }

  finish(tenant: string, id: string, outcome: JobOutcome, options: JobWorkerOptions): Promise<Job> {
    return this.#store.finish(tenant, id, outcome, options);
  }

  requestAbort(tenant: string, id: string, options?: { now?: number }): Promise<Job> {
    return this.#store.requestAbort(tenant, id, options);
  }

  acknowledgeAbort(tenant: string, id: string, options: JobWorkerOptions): Promise<Job> {
    return this.#store.acknowledgeAbort(tenant, id, options);
  }

  reclaimExpired(options?: { now?: number }): Promise<Job[]> {
    return this.#store.reclaimExpired(options);
  }

  counts(tenant: string): Promise<JobCounts> {
    return this.#store.counts(tenant);
  }

  isPaused(tenant: string): Promise<boolean> {
    return this.#store.isPaused(tenant);
  }

  async close(): Promise<void> {
    await this.#store.close?.();
  }
}

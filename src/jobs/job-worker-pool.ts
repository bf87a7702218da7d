import { randomUUID } from "node:crypto";
import os from "node:os";
import { errorMessage } from "../core/errors.js";
import type { JobStore } from "./job-store.js";
import { type JobRuns, runJob } from "./run-job.js";

/** Options of {@link JobWorkerPool}; `jobs.*` in pluto.yaml (docs/configuration.md). */
export interface JobWorkerPoolOptions {
  store: JobStore;
  runs: JobRuns;
  /** Jobs this process runs at once, 1-256. @default 2 */
  concurrency?: number;
  /** Milliseconds an idle slot waits before it asks the store for a due job again. @default 500 */
  pollIntervalMs?: number;
  /** Lease length in ms (1 s to 1 h): a job whose worker died is retried this long after its last heartbeat. @default 30000 */
  leaseMs?: number;
  /** Milliseconds between heartbeats (which also notice abort requests). @default min(leaseMs / 3, 1000) */
  heartbeatMs?: number;
  /** Milliseconds between sweeps for lapsed leases (`reclaimExpired`). @default leaseMs / 2 */
  reclaimIntervalMs?: number;
  /** The lease owner's id. @default `<hostname>-<pid>-<8 hex digits>` */
  workerId?: string;
  /**
   * Runs while the pool runs (started by `start`, stopped by `stop`): the `Scheduler` that turns
   * `spec.schedules` into jobs, so every worker process also fires schedules.
   */
  scheduler?: { start(): void; stop(): Promise<void> };
  /** @default Date.now */
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

/**
 * The workers of one process: `concurrency` slots, each claiming the next due job from the shared
 * `JobStore` under this process's lease and running it (`runJob`), plus a sweep that takes back jobs
 * whose worker died (`reclaimExpired`; the retry's `runJob` marks the cut-off run interrupted). The
 * panic switch needs nothing here: the store refuses claims of a paused tenant.
 * `start` begins; `stop` claims nothing more and resolves once the jobs in hand have ended.
 */
export class JobWorkerPool {
  /** The lease owner's id of this process. */
  readonly workerId: string;
  readonly #options: JobWorkerPoolOptions;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  #running = false;
  #slots: Promise<void>[] = [];
  #reclaimTimer: NodeJS.Timeout | undefined;
  #wake: (() => void)[] = [];

  constructor(options: JobWorkerPoolOptions) {
    this.#options = options;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.workerId = options.workerId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  /** Starts the slots and the sweep; a no-op when started. `concurrency` overrides the option's. */
  start(overrides: { concurrency?: number } = {}): void {
    if (this.#running) return;
    this.#running = true;
    const concurrency = overrides.concurrency ?? this.#options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#slots = Array.from({ length: concurrency }, () => this.#slot());
    const sweep = () =>
      void this.#options.store
        .reclaimExpired({ now: this.#now() })
        .catch((error: unknown) =>
          this.#log("warn", `Reclaiming lapsed jobs failed: ${errorMessage(error)}`),
        );
    sweep();
    this.#reclaimTimer = setInterval(sweep, this.#options.reclaimIntervalMs ?? this.#leaseMs / 2);
    this.#reclaimTimer.unref();
    this.#options.scheduler?.start();
  }

  /**
   * Ends the wait of every idle slot, so each asks the store for a due job now rather than after
   * `pollIntervalMs`: called when this process queued a job (see `WakingJobStore`). A no-op when no
   * slot is idle or the pool is stopped.
   */
  wake(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** Claims no more jobs and resolves once every job in hand has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#reclaimTimer);
    this.wake();
    await Promise.all([...this.#slots, this.#options.scheduler?.stop()]);
  }

  async #slot(): Promise<void> {
    const options = this.#options;
    const heartbeatMs = options.heartbeatMs ?? Math.min(this.#leaseMs / 3, 1000);
    while (this.#running) {
      let claimed = false;
      try {
        const job = await options.store.claim({
          worker: this.workerId,
          leaseMs: this.#leaseMs,
          now: this.#now(),
        });
        if (job !== undefined) {
          claimed = true;
          await runJob(job, {
            store: options.store,
            runs: options.runs,
            worker: this.workerId,
            leaseMs: this.#leaseMs,
            heartbeatMs,
            now: () => this.#now(),
            log: (level, message) => this.#log(level, message),
          });
        }
      } catch (error) {
        this.#log("warn", `Job worker: ${errorMessage(error)}`);
      }
      // A slot that just finished a job looks for the next at once; an idle one waits.
      if (!claimed && this.#running) await this.#sleep(this.#pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = this.#wake;
      function done() {
        clearTimeout(timer);
        const index = wake.indexOf(done);
        if (index >= 0) wake.splice(index, 1);
        resolve();
      }
      wake.push(done);
    });
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  #log(level: "info" | "warn" | "error", message: string): void {
    this.#options.log?.(level, message);
  }
}

/** Default of `jobs.concurrency`. */
export const DEFAULT_CONCURRENCY = 2;
/** Default of `jobs.poll_interval_ms`. */
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** Default of `jobs.lease_ms`. */
export const DEFAULT_LEASE_MS = 30_000;

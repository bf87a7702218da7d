import { PlutoError } from "../../core/errors.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import type { RunHandle, RunManager } from "../../runs/run-manager.js";

/** Seconds a client is told to wait after the concurrent-run limit refused a run. */
export const RUN_LIMIT_RETRY_AFTER_SECONDS = 1;

/**
 * Counts the queued and running runs of each tenant that were started through the HTTP API, and refuses
 * new ones above `maxConcurrent`. In-process: with several workers, each worker applies the limit on
 * its own (the effective limit is `maxConcurrent × workers`).
 */
export class TenantRunLimiter {
  readonly maxConcurrent: number;
  readonly #active = new Map<string, number>();

  /** @param maxConcurrent runs a tenant may have queued or running at once; an integer ≥ 1. */
  constructor(maxConcurrent: number) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be an integer ≥ 1, not ${maxConcurrent}.`);
    }
    this.maxConcurrent = maxConcurrent;
  }

  /** Queued and running runs of `tenant` counted now. */
  active(tenant: string): number {
    return this.#active.get(tenant) ?? 0;
  }

  /** True when `tenant` may not start another run right now. */
  full(tenant: string): boolean {
    return this.active(tenant) >= this.maxConcurrent;
  }

  /**
   * Counts one more run of `tenant`; returns the function that releases it (idempotent).
   * @throws PlutoError `LIMIT_EXCEEDED` (429) when the tenant is at its limit; `details` carry
   *   `limit: "concurrent_runs"`, `max` and `retry_after_seconds`.
   */
  acquire(tenant: string): () => void {
    if (this.full(tenant)) throw concurrentRunsError(this.maxConcurrent);
    this.#active.set(tenant, this.active(tenant) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.active(tenant) - 1;
      if (left > 0) this.#active.set(tenant, left);
      else this.#active.delete(tenant);
    };
  }

  /**
   * A view of `runs` whose `start` (and `decide`, which may continue a run) counts each run against its tenant (`request.tenant`, default
   * tenant when absent) from the call until its `result` settles, and throws `LIMIT_EXCEEDED` before
   * starting anything when the tenant is at its limit. Every other member is `runs`' own. Routes that
   * receive this view (runs, chat completions, Agent Protocol steps, A2A, MCP) are all limited.
   */
  wrap(runs: RunManager): RunManager {
    const counted =
      <Request extends { tenant?: string }>(queue: (request: Request) => Promise<RunHandle>) =>
      async (request: Request): Promise<RunHandle> => {
        const release = this.acquire(request.tenant ?? DEFAULT_TENANT);
        try {
          const handle = await queue(request);
          handle.result.then(release, release);
          return handle;
        } catch (error) {
          release();
          throw error;
        }
      };
    const start: RunManager["start"] = counted((request) => runs.start(request));
    const decide: RunManager["decide"] = counted((request) => runs.decide(request));
    return new Proxy(runs, {
      get(target, property) {
        if (property === "start") return start;
        if (property === "decide") return decide;
        // Members run against the real manager, whose private fields a proxy receiver cannot reach.
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
}

/** The `LIMIT_EXCEEDED` error of the concurrent-run limit. */
export function concurrentRunsError(max: number): PlutoError {
  return new PlutoError(
    "LIMIT_EXCEEDED",
    `This tenant already has ${max} run${max === 1 ? "" : "s"} queued or running (the concurrent-run limit). Wait for one to finish and retry, or ask the operator to raise the limit.`,
    {
      details: { limit: "concurrent_runs", max, retry_after_seconds: RUN_LIMIT_RETRY_AFTER_SECONDS },
      retryable: true,
    },
  );
}

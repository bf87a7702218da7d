import type { MiddlewareHandler } from "hono";
import type { RunManager } from "../../runs/run-manager.js";
import type { AppEnv } from "../request-identity.js";
import { tenantLimits } from "./tenant-limits.js";
import { TenantRateLimiter } from "./tenant-rate-limiter.js";
import { TenantRunLimiter } from "./tenant-run-limiter.js";

/** Options for {@link createTenantLimits}; a limit that is absent (or ≤ 0) is off. */
export interface CreateTenantLimitsOptions {
  runs: RunManager;
  /** Requests per minute per tenant (token bucket, burst of the same size). */
  rateLimitPerMinute?: number;
  /** Runs a tenant may have queued or running at once (integer). */
  maxConcurrentRunsPerTenant?: number;
}

/**
 * Builds the per-tenant limits of the HTTP app: the `runs` the routes must use (counted per tenant
 * when a run limit is set, else the given manager) and the middleware to mount after authentication
 * (`undefined` when no limit is set). Counters are in-process: with several workers each applies the
 * limits on its own.
 * @throws RangeError for a fractional `maxConcurrentRunsPerTenant`.
 */
export function createTenantLimits(options: CreateTenantLimitsOptions): {
  runs: RunManager;
  middleware: MiddlewareHandler<AppEnv> | undefined;
  /** The request-rate limiter, for WebSocket messages (each counts as a request); absent without a rate limit. */
  rate?: TenantRateLimiter;
} {
  const perMinute = options.rateLimitPerMinute;
  const maxRuns = options.maxConcurrentRunsPerTenant;
  const rate = perMinute !== undefined && perMinute > 0 ? new TenantRateLimiter({ perMinute }) : undefined;
  const runLimiter = maxRuns !== undefined && maxRuns > 0 ? new TenantRunLimiter(maxRuns) : undefined;
  if (rate === undefined && runLimiter === undefined) return { runs: options.runs, middleware: undefined };
  return {
    ...(rate === undefined ? {} : { rate }),
    runs: runLimiter === undefined ? options.runs : runLimiter.wrap(options.runs),
    middleware: tenantLimits({
      ...(rate === undefined ? {} : { rate }),
      ...(runLimiter === undefined ? {} : { runs: runLimiter }),
    }),
  };
}

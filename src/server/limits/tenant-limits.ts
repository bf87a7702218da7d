import type { Context, MiddlewareHandler } from "hono";
import { isPlutoError, PlutoError } from "../../core/errors.js";
import type { AppEnv } from "../request-identity.js";
import { identityOf } from "../request-identity.js";
import { isRunStartRequest } from "./run-start-request.js";
import type { TenantRateLimiter } from "./tenant-rate-limiter.js";
import {
  concurrentRunsError,
  RUN_LIMIT_RETRY_AFTER_SECONDS,
  type TenantRunLimiter,
} from "./tenant-run-limiter.js";

/** Options for {@link tenantLimits}; each limit is off when its limiter is absent. */
export interface TenantLimitsOptions {
  /** Requests per minute per tenant. */
  rate?: TenantRateLimiter;
  /** Queued and running runs per tenant; the same limiter must wrap the app's `RunManager` (`wrap`). */
  runs?: TenantRunLimiter;
}

/**
 * Per-tenant limits for authenticated routes (mount it after authentication; the tenant comes from the
 * caller's identity): a token-bucket request rate, and a pre-check that refuses run-starting requests
 * (`isRunStartRequest`) while the tenant is at its concurrent-run limit. Refusals answer 429 with
 * `Retry-After: <seconds>` and the error format `{"error": {"code": "LIMIT_EXCEEDED", …}}`. A
 * `LIMIT_EXCEEDED` thrown later by a route (the run limiter's `start`) gets the same header.
 */
export function tenantLimits(options: TenantLimitsOptions): MiddlewareHandler<AppEnv> {
  return async (context, next) => {
    const tenant = identityOf(context).tenant;
    const refused = options.rate === undefined ? undefined : rateRefusal(options.rate, tenant);
    if (refused !== undefined) {
      return limitResponse(context, refused, refused.details?.retry_after_seconds as number);
    }
    if (options.runs?.full(tenant) === true && (await isRunStartRequest(context))) {
      return limitResponse(
        context,
        concurrentRunsError(options.runs.maxConcurrent),
        RUN_LIMIT_RETRY_AFTER_SECONDS,
      );
    }
    await next();
    if (isPlutoError(context.error, "LIMIT_EXCEEDED") && !context.res.headers.has("retry-after")) {
      const seconds = context.error.details?.retry_after_seconds;
      context.res.headers.set(
        "Retry-After",
        String(
          typeof seconds === "number" && seconds >= 1 ? Math.ceil(seconds) : RUN_LIMIT_RETRY_AFTER_SECONDS,
        ),
      );
    }
    return undefined;
  };
}

/**
 * Takes one request from `tenant`'s rate bucket; returns the `LIMIT_EXCEEDED` error to answer when the
 * bucket is empty (`details`: `limit: "requests_per_minute"`, `max`, `retry_after_seconds`), else
 * `undefined`. HTTP requests and WebSocket messages both go through it.
 */
export function rateRefusal(rate: TenantRateLimiter, tenant: string): PlutoError | undefined {
  const decision = rate.take(tenant);
  if (decision.allowed) return undefined;
  return new PlutoError(
    "LIMIT_EXCEEDED",
    `Too many requests for this tenant (the limit is ${rate.perMinute} per minute, WebSocket messages included). Retry after ${decision.retryAfterSeconds} s, or ask the operator to raise the limit.`,
    {
      details: {
        limit: "requests_per_minute",
        max: rate.perMinute,
        retry_after_seconds: decision.retryAfterSeconds,
      },
      retryable: true,
    },
  );
}

function limitResponse(context: Context, error: PlutoError, retryAfterSeconds: number): Response {
  return context.json({ error: error.toJSON() }, 429, { "Retry-After": String(retryAfterSeconds) });
}

/**
 * How long to wait before retrying a model call: capped exponential backoff with jitter, or the
 * delay the provider asked for (`Retry-After` / `retry-after-ms`), never above the cap.
 */
import { PlutoError } from "../core/errors.js";

/** First backoff step in ms; attempt n (0-based) waits around `BASE_DELAY_MS * 2^n`. */
export const BASE_DELAY_MS = 500;

/** Inputs of {@link retryDelayMs}. */
export interface RetryDelayOptions {
  /** 0 for the first retry, 1 for the second, … */
  attempt: number;
  /** Upper bound of any wait, in ms (pluto.yaml `retry.max_delay_ms`). */
  maxDelayMs: number;
  /** The provider's requested delay in ms, when it sent one. */
  retryAfterMs?: number;
  /** Random number in [0, 1); injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * The wait before the next attempt, in ms. With a provider-requested delay: that delay, capped at
 * `maxDelayMs`. Otherwise "equal jitter": half of `min(maxDelayMs, BASE_DELAY_MS * 2^attempt)` plus a
 * random share of the other half, so concurrent runs do not retry in lockstep.
 */
export function retryDelayMs(options: RetryDelayOptions): number {
  const cap = Math.max(0, options.maxDelayMs);
  if (options.retryAfterMs !== undefined) return Math.min(cap, Math.max(0, options.retryAfterMs));
  const ceiling = Math.min(cap, BASE_DELAY_MS * 2 ** Math.max(0, options.attempt));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Waits `ms` milliseconds, or rejects with `RUN_ABORTED` as soon as `signal` aborts.
 * @throws PlutoError `RUN_ABORTED`
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () =>
      new PlutoError("RUN_ABORTED", "The run was aborted while waiting to retry the model.");
    if (signal.aborted) {
      reject(aborted());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

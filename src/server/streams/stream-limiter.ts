import { PlutoError } from "../../core/errors.js";

/** Seconds a client refused by a stream cap is told to wait (`Retry-After`). */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/** Options for {@link StreamLimiter}. */
export interface StreamLimiterOptions {
  /** Open streams (SSE responses and WebSockets) allowed in this process, all tenants together; an integer ≥ 1. */
  maxStreams: number;
  /** Open streams one tenant may hold in this process; an integer ≥ 1. @default maxStreams */
  maxStreamsPerTenant?: number;
}

/**
 * Counts the open streams of this process, in total and per tenant, and refuses new ones above either
 * cap. In-process: with several workers each applies the caps on its own (a load balancer spreads the
 * streams, so the instance-wide caps are these times the workers).
 */
export class StreamLimiter {
  readonly maxStreams: number;
  readonly maxStreamsPerTenant: number;
  readonly #perTenant = new Map<string, number>();
  #total = 0;

  /** @throws RangeError for a cap that is not an integer ≥ 1. */
  constructor(options: StreamLimiterOptions) {
    for (const value of [options.maxStreams, options.maxStreamsPerTenant ?? options.maxStreams]) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Stream caps must be integers ≥ 1, not ${value}.`);
      }
    }
    this.maxStreams = options.maxStreams;
    this.maxStreamsPerTenant = options.maxStreamsPerTenant ?? options.maxStreams;
  }

  /** Streams open now: all of them, or one tenant's. */
  open(tenant?: string): number {
    return tenant === undefined ? this.#total : (this.#perTenant.get(tenant) ?? 0);
  }

  /**
   * The error a new stream of `tenant` would get now, or `undefined` when it fits: `LIMIT_EXCEEDED`
   * (429) at the tenant's cap, `SERVER_BUSY` (503) at the process's; `details` carry `limit`, `max` and
   * `retry_after_seconds`.
   */
  refusal(tenant: string): PlutoError | undefined {
    if (this.open(tenant) >= this.maxStreamsPerTenant) {
      return new PlutoError(
        "LIMIT_EXCEEDED",
        `This tenant already has ${this.maxStreamsPerTenant} open streams (SSE or WebSocket) on this server (server.limits.streams_per_tenant). Close streams you no longer read, or retry in ${STREAM_RETRY_AFTER_SECONDS} s.`,
        {
          details: {
            limit: "streams_per_tenant",
            max: this.maxStreamsPerTenant,
            retry_after_seconds: STREAM_RETRY_AFTER_SECONDS,
          },
          retryable: true,
        },
      );
    }
    if (this.#total >= this.maxStreams) {
      return new PlutoError(
        "SERVER_BUSY",
        `This server already holds ${this.maxStreams} open streams (server.limits.streams). Retry in ${STREAM_RETRY_AFTER_SECONDS} s, or ask the operator to raise the cap or add workers.`,
        {
          details: {
            limit: "streams",
            max: this.maxStreams,
            retry_after_seconds: STREAM_RETRY_AFTER_SECONDS,
          },
          retryable: true,
        },
      );
    }
    return undefined;
  }

  /**
   * Counts one more open stream of `tenant`; returns the function that releases it (idempotent).
   * @throws PlutoError from {@link refusal} when a cap is reached.
   */
  acquire(tenant: string): () => void {
    const refused = this.refusal(tenant);
    if (refused !== undefined) throw refused;
    this.#total += 1;
    this.#perTenant.set(tenant, this.open(tenant) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = this.open(tenant) - 1;
      if (left > 0) this.#perTenant.set(tenant, left);
      else this.#perTenant.delete(tenant);
    };
  }
}

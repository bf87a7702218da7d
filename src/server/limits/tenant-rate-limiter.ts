/** Options for {@link TenantRateLimiter}. */
export interface TenantRateLimiterOptions {
  /** Requests each tenant may make per minute; also the burst size (a full bucket). Must be > 0. */
  perMinute: number;
  /**
   * Tenants tracked at once; above it, buckets that have refilled completely (idle tenants) are
   * dropped, which changes nothing since a new bucket starts full. @default 10000
   */
  maxTenants?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** Result of {@link TenantRateLimiter.take}. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per tenant: each bucket holds up to `perMinute` tokens, refills continuously at
 * `perMinute / 60` tokens per second, and every request takes one. In-process state: with several
 * workers, each worker applies the limit on its own (the effective limit is `perMinute × workers`).
 */
export class TenantRateLimiter {
  /** Requests per minute per tenant (the bucket size). */
  readonly perMinute: number;
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #maxTenants: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TenantRateLimiterOptions) {
    if (!(options.perMinute > 0) || !Number.isFinite(options.perMinute)) {
      throw new RangeError(`perMinute must be a positive number, not ${options.perMinute}.`);
    }
    this.perMinute = options.perMinute;
    this.#capacity = options.perMinute;
    this.#perMs = options.perMinute / 60_000;
    this.#maxTenants = options.maxTenants ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes one token from `tenant`'s bucket.
   * @returns `{ allowed: true }`, or `{ allowed: false, retryAfterSeconds }` with the whole seconds
   *   (at least 1) until a token is available again.
   */
  take(tenant: string): RateDecision {
    const now = this.#now();
    let bucket = this.#buckets.get(tenant);
    if (bucket === undefined) {
      this.#sweep(now);
      bucket = { tokens: this.#capacity, updatedAt: now };
      this.#buckets.set(tenant, bucket);
    } else {
      this.#refill(bucket, now);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000)),
    };
  }

  #refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + elapsed * this.#perMs);
    bucket.updatedAt = now;
  }

  #sweep(now: number): void {
    if (this.#buckets.size < this.#maxTenants) return;
    for (const [tenant, bucket] of this.#buckets) {
      this.#refill(bucket, now);
      if (bucket.tokens >= this.#capacity) this.#buckets.delete(tenant);
    }
    // Every tracked tenant is busy: forget the oldest so memory stays bounded.
    if (this.#buckets.size >= this.#maxTenants) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }
}

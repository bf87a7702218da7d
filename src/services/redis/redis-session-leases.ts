import { randomBytes, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { PlutoError } from "../../core/errors.js";
import type { SessionLease, SessionLeases } from "../coordination/coordination.js";
import { checkSessionKey } from "../session/session-input.js";
import type { SessionKey } from "../session/session-store.js";
import { toRedisError } from "./redis-errors.js";
import { checkRedisPrefix, sessionRedisKeys } from "./redis-keys.js";
import { defineScript, type RedisScript } from "./redis-script.js";

/** Options of {@link RedisSessionLeases}. */
export interface RedisSessionLeasesOptions {
  /** A command connection (see `createRedisClient`); owned by the caller. */
  redis: Redis;
  /** First segment of every key. @default "pluto" */
  prefix?: string;
  /** This worker's id, the first part of every lease token (shown when inspecting keys). @default a random UUID */
  ownerId?: string;
  /** First pause between two tries of a taken lease, in ms; doubles up to {@link maxPollMs}. @default 10 */
  minPollMs?: number;
  /** Longest pause between two tries of a taken lease, in ms. @default 200 */
  maxPollMs?: number;
  /** Told about a renewal or release that failed (the lease is kept until its time-to-live runs out). @default ignore */
  onError?: (error: PlutoError) => void;
}

/** KEYS: lease. ARGV: token, ttl ms. Extends the lease only while it still holds our token. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS: lease. ARGV: token. Deletes the lease only while it still holds our token. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * {@link SessionLeases} on Redis (docs/backends/redis.md, Leases): the lease of a session is the key
 * `<prefix>:t:<tenant>:a:<agent>:s:<session>:lease` holding `<ownerId>:<random>` (one token per
 * acquisition, so two acquisitions in one process also exclude each other), set with
 * `SET NX PX ttlMs`. While held it is renewed every `ttlMs / 3` by a compare-and-`PEXPIRE` script;
 * release is a compare-and-`DEL`. A waiter polls with a backoff of `minPollMs` doubling to
 * `maxPollMs`. The holder's `lost` signal aborts when a renewal finds another token or no key, or
 * when renewals have failed (Redis unreachable) for a whole `ttlMs` since the last success, since by
 * then another worker may hold it. A crashed holder's lease lapses after at most `ttlMs`.
 */
export class RedisSessionLeases implements SessionLeases {
  /** This worker's id, the first part of every token. */
  readonly ownerId: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #minPollMs: number;
  readonly #maxPollMs: number;
  readonly #onError: (error: PlutoError) => void;
  readonly #renew: RedisScript;
  readonly #release: RedisScript;
  readonly #held = new Set<HeldLease>();

  /** @throws PlutoError `CONFIG_INVALID` for a bad `prefix` or `ownerId`. */
  constructor(options: RedisSessionLeasesOptions) {
    this.#redis = options.redis;
    this.#prefix = checkRedisPrefix(options.prefix);
    this.ownerId = options.ownerId ?? randomUUID();
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(this.ownerId)) {
      throw new PlutoError("CONFIG_INVALID", "ownerId must be 1-128 letters, digits, '.', '_', ':' or '-'.");
    }
    this.#minPollMs = Math.max(1, options.minPollMs ?? 10);
    this.#maxPollMs = Math.max(this.#minPollMs, options.maxPollMs ?? 200);
    this.#onError = options.onError ?? (() => {});
    this.#renew = defineScript(this.#redis, "plutoLeaseRenewV1", 1, RENEW_LUA);
    this.#release = defineScript(this.#redis, "plutoLeaseReleaseV1", 1, RELEASE_LUA);
  }

  /**
   * See {@link SessionLeases.acquire}. `ttlMs` is an integer >= 30.
   * @throws PlutoError `RUN_ABORTED` when `signal` aborts while waiting; `BAD_REQUEST` for a bad `ttlMs`;
   * `INVALID_NAME` for a bad key; `INTERNAL` (retryable) when Redis is unreachable.
   */
  async acquire(key: SessionKey, options: { ttlMs: number; signal?: AbortSignal }): Promise<SessionLease> {
    const checked = checkSessionKey(key);
    const ttlMs = options?.ttlMs;
    if (typeof ttlMs !== "number" || !Number.isSafeInteger(ttlMs) || ttlMs < 30) {
      throw new PlutoError("BAD_REQUEST", `Lease ttlMs must be an integer of at least 30 ms, got ${ttlMs}.`);
    }
    const signal = options.signal;
    const leaseKey = sessionRedisKeys(this.#prefix, checked).lease;
    const token = `${this.ownerId}:${randomBytes(8).toString("hex")}`;
    let pause = this.#minPollMs;
    for (;;) {
      throwIfAborted(signal, checked);
      let reply: string | null;
      try {
        reply = await this.#redis.set(leaseKey, token, "PX", ttlMs, "NX");
      } catch (error) {
        throw toRedisError(error, "lease acquire");
      }
      if (reply === "OK") {
        if (signal?.aborted) {
          await this.#release([leaseKey], [token]).catch(() => {});
          throwIfAborted(signal, checked);
        }
        return this.#hold(checked, leaseKey, token, ttlMs);
      }
      await sleep(pause + Math.floor(Math.random() * pause), signal);
      pause = Math.min(pause * 2, this.#maxPollMs);
    }
  }

  /** Releases every lease this instance holds; the connection stays open (the caller owns it). */
  async close(): Promise<void> {
    await Promise.all([...this.#held].map((lease) => lease.release()));
  }

  #hold(key: SessionKey, leaseKey: string, token: string, ttlMs: number): HeldLease {
    const controller = new AbortController();
    let renewedAt = Date.now();
    let renewing = false;
    const lose = (reason: string) => {
      clearInterval(timer);
      this.#held.delete(lease);
      controller.abort(
        new PlutoError(
          "RUN_INTERRUPTED",
          `Lost the lease of session "${key.session}" (${reason}); another worker may be running it. Stop this run; the session's next run will pick up from its log.`,
          { details: { session: key.session, agent: key.agent, tenant: key.tenant, reason } },
        ),
      );
    };
    const renew = async () => {
      if (controller.signal.aborted) return;
      // A late timer (blocked event loop) or a renewal stuck for a whole ttl: the key may have lapsed.
      if (Date.now() - renewedAt >= ttlMs) return lose("it was not renewed within its ttl");
      if (renewing) return;
      renewing = true;
      const startedAt = Date.now();
      try {
        const reply = await this.#renew([leaseKey], [token, ttlMs]);
        if (reply === 1) renewedAt = startedAt;
        else lose("it expired or another worker took it over");
      } catch (error) {
        this.#onError(toRedisError(error, "lease renew"));
        if (Date.now() - renewedAt >= ttlMs) lose("Redis was unreachable for the lease's whole ttl");
      } finally {
        renewing = false;
      }
    };
    const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
    timer.unref();
    let released: Promise<void> | undefined;
    const lease: HeldLease = {
      lost: controller.signal,
      release: () => {
        released ??= (async () => {
          clearInterval(timer);
          this.#held.delete(lease);
          if (controller.signal.aborted) return;
          try {
            await this.#release([leaseKey], [token]);
          } catch (error) {
            this.#onError(toRedisError(error, "lease release"));
          }
        })();
        return released;
      },
    };
    this.#held.add(lease);
    return lease;
  }
}

type HeldLease = SessionLease;

function throwIfAborted(signal: AbortSignal | undefined, key: SessionKey): void {
  if (signal?.aborted) {
    throw new PlutoError(
      "RUN_ABORTED",
      `Stopped waiting for the lease of session "${key.session}": the run was aborted.`,
      { details: { session: key.session, agent: key.agent, tenant: key.tenant } },
    );
  }
}

/** Waits `ms`, or less when `signal` aborts (the caller then checks the signal). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

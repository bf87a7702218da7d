import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPlutoError } from "../../../src/core/errors.js";
import type { SessionLease } from "../../../src/services/coordination/coordination.js";
import { RedisSessionLeases } from "../../../src/services/redis/redis-session-leases.js";
import type { SessionKey } from "../../../src/services/session/session-store.js";
import { rejection } from "../../contracts/session-store.contract.js";
import { redisUrlOrSkip } from "../../support/services.js";
import { connectRedis, deleteKeys, uniquePrefix, waitUntil } from "./redis-test-support.js";

const url = await redisUrlOrSkip();

const key: SessionKey = { tenant: "acme", agent: "assistant", session: "s1" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(url === undefined)("RedisSessionLeases", () => {
  let prefix: string;
  let clients: Redis[];
  let leaseKey: string;

  /** A lease manager on its own connection (one per simulated worker). */
  const worker = async (ownerId: string) => {
    const redis = await connectRedis(url as string, `pluto-test-${ownerId}`);
    clients.push(redis);
    return { redis, leases: new RedisSessionLeases({ redis, prefix, ownerId }) };
  };

  beforeEach(() => {
    prefix = uniquePrefix();
    clients = [];
    leaseKey = `${prefix}:t:acme:a:assistant:s:s1:lease`;
  });
  afterEach(async () => {
    const admin = await connectRedis(url as string);
    await deleteKeys(admin, prefix);
    await admin.quit();
    for (const client of clients) client.disconnect();
  });

  it("stores one token per acquisition under the session's lease key and deletes it on release", async () => {
    const { redis, leases } = await worker("worker-a");
    const lease = await leases.acquire(key, { ttlMs: 1000 });
    expect(await redis.get(leaseKey)).toMatch(/^worker-a:[0-9a-f]{16}$/);
    expect(await redis.pttl(leaseKey)).toBeGreaterThan(500);
    await lease.release();
    await lease.release();
    expect(await redis.exists(leaseKey)).toBe(0);
    expect(lease.lost.aborted).toBe(false);
  });

  it("never lets two holders overlap: 8 acquirers on two workers, a shared counter", async () => {
    const workers = [await worker("worker-a"), await worker("worker-b")];
    let inside = 0;
    let overlaps = 0;
    let counter = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, index) => {
        const { leases } = workers[index % 2] as (typeof workers)[number];
        for (let round = 0; round < 5; round++) {
          const lease = await leases.acquire(key, { ttlMs: 2000 });
          inside++;
          if (inside > 1) overlaps++;
          const read = counter;
          await sleep(2);
          counter = read + 1;
          inside--;
          await lease.release();
        }
      }),
    );
    expect(overlaps).toBe(0);
    expect(counter).toBe(40);
  });

  it("keeps the lease past its ttl while renewing", async () => {
    const a = await worker("worker-a");
    const b = await worker("worker-b");
    const lease = await a.leases.acquire(key, { ttlMs: 600 });
    const error = await rejection(b.leases.acquire(key, { ttlMs: 600, signal: AbortSignal.timeout(1500) }));
    expect(error.code).toBe("RUN_ABORTED");
    expect(lease.lost.aborted).toBe(false);
    expect(await a.redis.get(leaseKey)).toMatch(/^worker-a:/);
    await lease.release();
    const next = await b.leases.acquire(key, { ttlMs: 600 });
    await next.release();
  });

  it("lets another worker take over a crashed holder's lease once it lapses", async () => {
    const a = await worker("worker-a");
    const b = await worker("worker-b");
    const ttlMs = 300;
    const held = await a.leases.acquire(key, { ttlMs });
    await sleep(50);
    a.redis.disconnect(); // the holder "crashes": no more renewals, no release
    const remaining = await b.redis.pttl(leaseKey);
    expect(remaining).toBeGreaterThan(0);
    const started = Date.now();
    const taken = await b.leases.acquire(key, { ttlMs: 1000 });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(remaining - 20);
    expect(waited).toBeLessThan(ttlMs + 1500);
    expect(await b.redis.get(leaseKey)).toMatch(/^worker-b:/);
    await waitUntil(() => held.lost.aborted, 2000);
    expect(isPlutoError(held.lost.reason, "RUN_INTERRUPTED")).toBe(true);
    await held.release();
    expect(await b.redis.get(leaseKey)).toMatch(/^worker-b:/);
    await taken.release();
  });

  it("aborts the lost signal when renewal finds the lease taken, and release leaves the new holder alone", async () => {
    const { redis, leases } = await worker("worker-a");
    const lease = await leases.acquire(key, { ttlMs: 150 });
    await redis.set(leaseKey, "intruder", "PX", 5000);
    await waitUntil(() => lease.lost.aborted, 1000);
    expect(lease.lost.reason).toMatchObject({ code: "RUN_INTERRUPTED" });
    expect((lease.lost.reason as Error).message).toMatch(/another worker/);
    await lease.release();
    expect(await redis.get(leaseKey)).toBe("intruder");
  });

  it("aborts the lost signal when the lease vanished", async () => {
    const { redis, leases } = await worker("worker-a");
    const lease = await leases.acquire(key, { ttlMs: 150 });
    await redis.del(leaseKey);
    await waitUntil(() => lease.lost.aborted, 1000);
  });

  it("stops waiting with RUN_ABORTED when the signal aborts, and writes nothing", async () => {
    const a = await worker("worker-a");
    const b = await worker("worker-b");
    const lease = await a.leases.acquire(key, { ttlMs: 5000 });
    const controller = new AbortController();
    const waiting = b.leases.acquire(key, { ttlMs: 5000, signal: controller.signal });
    await sleep(60);
    const abortedAt = Date.now();
    controller.abort();
    const error = await rejection(waiting);
    expect(error.code).toBe("RUN_ABORTED");
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect((await rejection(b.leases.acquire(key, { ttlMs: 5000, signal: controller.signal }))).code).toBe(
      "RUN_ABORTED",
    );
    expect(await a.redis.get(leaseKey)).toMatch(/^worker-a:/);
    await lease.release();
  });

  it("treats two acquisitions in one process as two holders", async () => {
    const { leases } = await worker("worker-a");
    const first = await leases.acquire(key, { ttlMs: 2000 });
    const second = await rejection(leases.acquire(key, { ttlMs: 2000, signal: AbortSignal.timeout(100) }));
    expect(second.code).toBe("RUN_ABORTED");
    await first.release();
  });

  it("releases every held lease on close", async () => {
    const { redis, leases } = await worker("worker-a");
    await leases.acquire(key, { ttlMs: 2000 });
    await leases.acquire({ ...key, session: "s2" }, { ttlMs: 2000 });
    await leases.close();
    expect(await redis.exists(leaseKey, `${prefix}:t:acme:a:assistant:s:s2:lease`)).toBe(0);
  });

  it("rejects bad ttls, hostile keys and bad owner ids", async () => {
    const { redis, leases } = await worker("worker-a");
    for (const ttlMs of [0, -1, 29, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect((await rejection(leases.acquire(key, { ttlMs }))).code).toBe("BAD_REQUEST");
    }
    for (const session of ["../x", "", "a/b", "a\0b"]) {
      expect((await rejection(leases.acquire({ ...key, session }, { ttlMs: 100 }))).code).toBe(
        "INVALID_NAME",
      );
    }
    for (const ownerId of ["", "a b", "x".repeat(129), "a\nb"]) {
      expect(() => new RedisSessionLeases({ redis, ownerId })).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID" }),
      );
    }
  });

  it("fails fast with a retryable error when Redis is unreachable", async () => {
    const { redis, leases } = await worker("worker-a");
    redis.disconnect();
    const error = await rejection(leases.acquire(key, { ttlMs: 1000 }));
    expect(error).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    expect(error.message).toMatch(/Redis is unreachable during lease acquire/);
  });

  it("declares the lease lost when Redis stays unreachable for a whole ttl", async () => {
    const { redis } = await worker("worker-a");
    const errors: unknown[] = [];
    const leases = new RedisSessionLeases({
      redis,
      prefix,
      ownerId: "watched",
      onError: (e) => errors.push(e),
    });
    const lease: SessionLease = await leases.acquire(key, { ttlMs: 150 });
    redis.disconnect();
    await waitUntil(() => lease.lost.aborted, 1000);
    expect(errors[0]).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    expect(lease.lost.reason).toMatchObject({ code: "RUN_INTERRUPTED" });
    await lease.release();
  });
});

import type { Redis } from "ioredis";
import { createRedisClient, waitForRedis } from "../../../src/services/redis/redis-client.js";
import { uniqueName } from "../../support/services.js";

/** A ready Redis connection with Pluto's fail-fast settings (close with `quit()`). */
export async function connectRedis(url: string, connectionName = "pluto-test"): Promise<Redis> {
  const redis = createRedisClient({ url, connectionName });
  await waitForRedis(redis);
  return redis;
}

/** A key prefix unique to one test (`pluto_test_<hex>`), so parallel test files never share keys. */
export function uniquePrefix(): string {
  return uniqueName("pluto_test");
}

/** Deletes every key under `<prefix>:` (SCAN, not KEYS, so a busy server is not blocked). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** The keys under `<prefix>:`, sorted. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}

/** Resolves once `check()` is true, polling every 5 ms; rejects after `timeoutMs` (default 5000). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

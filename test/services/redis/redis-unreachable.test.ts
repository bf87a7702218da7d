import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../../src/core/events.js";
import { createRedisClient, waitForRedis } from "../../../src/services/redis/redis-client.js";
import { RedisEventFanout } from "../../../src/services/redis/redis-event-fanout.js";
import { RedisSessionStore } from "../../../src/services/redis/redis-session-store.js";
import { rejection, textEvent } from "../../contracts/session-store.contract.js";
import { redisUrlOrSkip } from "../../support/services.js";
import { connectRedis, deleteKeys, uniquePrefix, waitUntil } from "./redis-test-support.js";
import { TcpProxy } from "./tcp-proxy.js";

const url = await redisUrlOrSkip();

const key = { tenant: "acme", agent: "assistant", session: "s1" };
/** A batch of 50 events of 20 KB each (about 1 MB on the wire). */
const bigBatch = () => Array.from({ length: 50 }, (_, index) => textEvent(`${index}:${"y".repeat(20_000)}`));

describe.skipIf(url === undefined)("Redis unreachable mid-append (TCP proxy cut)", () => {
  let direct: Redis;
  let proxy: TcpProxy;
  let client: Redis;
  let prefix: string;
  let store: RedisSessionStore;
  let truth: RedisSessionStore;

  beforeEach(async () => {
    const target = new URL(url as string);
    direct = await connectRedis(url as string);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    client = createRedisClient({
      url: `redis://127.0.0.1:${proxy.port}`,
      connectionName: "pluto-test-proxied",
    });
    await waitForRedis(client);
    prefix = uniquePrefix();
    store = new RedisSessionStore({ redis: client, prefix });
    truth = new RedisSessionStore({ redis: direct, prefix });
    await store.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
  });
  afterEach(async () => {
    client.disconnect();
    await proxy.close();
    await deleteKeys(direct, prefix);
    await direct.quit();
  });

  it("a cut in the middle of the request fails the append clearly and writes nothing; appends work once Redis is back", async () => {
    proxy.cutAfter(300_000);
    const error = await rejection(store.append(key, bigBatch(), { expectedSeq: 2 }));
    expect(error).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    expect(error.details).toMatchObject({ backend: "redis", operation: "session append" });
    expect(error.message).toMatch(/Redis is unreachable during session append/);
    expect(error.message).toMatch(/may or may not have been applied/);
    expect(await truth.info(key)).toMatchObject({ lastSeq: 2 });
    expect(await direct.xlen(`${prefix}:t:acme:a:assistant:s:s1:events`)).toBe(2);

    const startedAt = Date.now();
    const offline = await rejection(store.append(key, [textEvent("c")], { expectedSeq: 2 }));
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(offline).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    expect((await rejection(store.read(key))).message).toMatch(/Redis is unreachable during session read/);

    await proxy.up();
    await waitForRedis(client, 5000);
    const stored = await store.append(key, [textEvent("c")], { expectedSeq: 2 });
    expect(stored.map((event) => event.seq)).toEqual([3]);
    expect((await store.read(key)).map((event) => event.seq)).toEqual([1, 2, 3]);
  });

  it("a cut after Redis ran the script but before the reply leaves the whole batch, and a retry sees the truth", async () => {
    proxy.cutBeforeReply();
    const error = await rejection(store.append(key, bigBatch(), { expectedSeq: 2 }));
    expect(error).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    // The reply existed, so the script ran: all 50 events are there although the caller got an error.
    expect(await truth.info(key)).toMatchObject({ lastSeq: 52 });
    const events = await truth.read(key);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(events[51]).toMatchObject({ text: expect.stringMatching(/^49:y+$/) });

    await proxy.up();
    await waitForRedis(client, 5000);
    const conflict = await rejection(store.append(key, bigBatch(), { expectedSeq: 2 }));
    expect(conflict.details).toMatchObject({ expectedSeq: 2, actualSeq: 52 });
    const [next] = await store.append(key, [textEvent("after")], { expectedSeq: 52 });
    expect(next?.seq).toBe(53);
  });

  it("fails fast, with a PlutoError, when Redis was never reachable", async () => {
    proxy.down();
    const offline = createRedisClient({ url: `redis://127.0.0.1:${proxy.port}`, connectTimeoutMs: 200 });
    try {
      const waited = await rejection(waitForRedis(offline, 300));
      expect(waited).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
      const startedAt = Date.now();
      const error = await rejection(new RedisSessionStore({ redis: offline, prefix }).info(key));
      expect(Date.now() - startedAt).toBeLessThan(1000);
      expect(error.message).toMatch(/Check that the Redis server is running/);
    } finally {
      offline.disconnect();
    }
  });

  it("restores fan-out subscriptions after the subscriber's connection comes back", async () => {
    const subscriber = createRedisClient({ url: `redis://127.0.0.1:${proxy.port}` });
    await waitForRedis(subscriber);
    const publisher = await connectRedis(url as string);
    const listening = new RedisEventFanout({ publisher: client, subscriber, prefix, workerId: "b" });
    const otherSubscriber = await connectRedis(url as string);
    const other = new RedisEventFanout({ publisher, subscriber: otherSubscriber, prefix, workerId: "a" });
    try {
      const received: (readonly SessionEvent[])[] = [];
      listening.subscribe(key, (batch) => received.push(batch));
      await listening.subscribed(key);
      other.publish(key, [{ ...textEvent("one"), seq: 1 }]);
      await waitUntil(() => received.length === 1);
      proxy.down();
      await waitUntil(() => subscriber.status !== "ready");
      await proxy.up();
      await waitForRedis(subscriber, 5000);
      await listening.subscribed(key);
      await waitUntil(async () => {
        const [, count] = (await publisher.pubsub("NUMSUB", `${prefix}:t:acme:a:assistant:s:s1:fanout`)) as [
          string,
          number,
        ];
        return count === 1;
      });
      other.publish(key, [{ ...textEvent("two"), seq: 2 }]);
      await waitUntil(() => received.length === 2);
      expect(received.flat().map((event) => event.seq)).toEqual([1, 2]);
    } finally {
      await listening.close();
      await other.close();
      subscriber.disconnect();
      await otherSubscriber.quit();
      await publisher.quit();
    }
  });
});

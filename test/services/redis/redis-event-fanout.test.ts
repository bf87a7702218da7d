import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlutoError } from "../../../src/core/errors.js";
import type { SessionEvent } from "../../../src/core/events.js";
import { RedisEventFanout } from "../../../src/services/redis/redis-event-fanout.js";
import { RedisSessionStore } from "../../../src/services/redis/redis-session-store.js";
import type { SessionKey } from "../../../src/services/session/session-store.js";
import { textEvent } from "../../contracts/session-store.contract.js";
import { redisUrlOrSkip } from "../../support/services.js";
import { connectRedis, deleteKeys, uniquePrefix, waitUntil } from "./redis-test-support.js";

const url = await redisUrlOrSkip();

const key: SessionKey = { tenant: "acme", agent: "assistant", session: "s1" };
const events = (from: number, count: number): SessionEvent[] =>
  Array.from({ length: count }, (_, index) => ({ ...textEvent(`e${from + index}`), seq: from + index }));
const seqs = (batches: (readonly SessionEvent[])[]) => batches.flat().map((event) => event.seq);

/** One simulated worker: its own publisher and subscriber connections and fan-out. */
interface Worker {
  fanout: RedisEventFanout;
  publisher: Redis;
  subscriber: Redis;
  errors: PlutoError[];
}

describe.skipIf(url === undefined)("RedisEventFanout between two workers", () => {
  let prefix: string;
  let workers: Worker[];
  let a: Worker;
  let b: Worker;

  const startWorker = async (workerId: string): Promise<Worker> => {
    const publisher = await connectRedis(url as string, `pluto-test-${workerId}`);
    const subscriber = await connectRedis(url as string, `pluto-test-${workerId}-sub`);
    const errors: PlutoError[] = [];
    const fanout = new RedisEventFanout({
      publisher,
      subscriber,
      prefix,
      workerId,
      onError: (error) => errors.push(error),
    });
    return { fanout, publisher, subscriber, errors };
  };
  const channel = (sessionKey: SessionKey) =>
    `${prefix}:t:${sessionKey.tenant}:a:${sessionKey.agent}:s:${sessionKey.session}:fanout`;
  const subscribers = async (sessionKey: SessionKey) => {
    const [, count] = (await a.publisher.pubsub("NUMSUB", channel(sessionKey))) as [string, number];
    return count;
  };

  beforeEach(async () => {
    prefix = uniquePrefix();
    workers = [await startWorker("worker-a"), await startWorker("worker-b")];
    [a, b] = workers as [Worker, Worker];
  });
  afterEach(async () => {
    for (const worker of workers) {
      await worker.fanout.close();
      await deleteKeys(worker.publisher, prefix);
      await worker.publisher.quit();
      await worker.subscriber.quit();
    }
  });

  it("delivers locally at once and to the other worker through Redis, never twice", async () => {
    const onA: (readonly SessionEvent[])[] = [];
    const onB: (readonly SessionEvent[])[] = [];
    a.fanout.subscribe(key, (batch) => onA.push(batch));
    b.fanout.subscribe(key, (batch) => onB.push(batch));
    await Promise.all([a.fanout.subscribed(key), b.fanout.subscribed(key)]);
    a.fanout.publish(key, events(1, 2));
    expect(seqs(onA)).toEqual([1, 2]);
    await waitUntil(() => onB.length === 1);
    expect(onB[0]).toEqual(events(1, 2));
    b.fanout.publish(key, events(3, 1));
    await waitUntil(() => seqs(onA).length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seqs(onA)).toEqual([1, 2, 3]);
    expect(seqs(onB)).toEqual([1, 2, 3]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it("keeps the order of 300 batches published back to back", async () => {
    const received: (readonly SessionEvent[])[] = [];
    b.fanout.subscribe(key, (batch) => received.push(batch));
    await b.fanout.subscribed(key);
    for (let seq = 1; seq <= 600; seq += 2) a.fanout.publish(key, events(seq, 2));
    await waitUntil(() => received.length === 300);
    expect(seqs(received)).toEqual(Array.from({ length: 600 }, (_, index) => index + 1));
  });

  it("joins a channel with the first listener and leaves it with the last", async () => {
    expect(await subscribers(key)).toBe(0);
    const first = b.fanout.subscribe(key, () => {});
    const second = b.fanout.subscribe(key, () => {});
    await b.fanout.subscribed(key);
    expect(await subscribers(key)).toBe(1);
    expect(b.fanout.size).toBe(1);
    first();
    first();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await subscribers(key)).toBe(1);
    second();
    await waitUntil(async () => (await subscribers(key)) === 0);
    expect(b.fanout.size).toBe(0);
    const late: (readonly SessionEvent[])[] = [];
    const unsubscribe = b.fanout.subscribe(key, (batch) => late.push(batch));
    await b.fanout.subscribed(key);
    a.fanout.publish(key, events(1, 1));
    await waitUntil(() => late.length === 1);
    unsubscribe();
    a.fanout.publish(key, events(2, 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seqs(late)).toEqual([1]);
  });

  it("keeps sessions, agents and tenants apart", async () => {
    const others: SessionKey[] = [
      { ...key, session: "s2" },
      { ...key, agent: "other" },
      { ...key, tenant: "tenant-b" },
    ];
    const received: (readonly SessionEvent[])[] = [];
    b.fanout.subscribe(key, (batch) => received.push(batch));
    await b.fanout.subscribed(key);
    for (const other of others) a.fanout.publish(other, events(1, 1));
    a.fanout.publish(key, events(7, 1));
    await waitUntil(() => received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seqs(received)).toEqual([7]);
  });

  it("removes a listener that throws and keeps delivering to the others", async () => {
    const good: (readonly SessionEvent[])[] = [];
    b.fanout.subscribe(key, () => {
      throw new Error("broken client");
    });
    b.fanout.subscribe(key, (batch) => good.push(batch));
    await b.fanout.subscribed(key);
    a.fanout.publish(key, events(1, 1));
    a.fanout.publish(key, events(2, 1));
    await waitUntil(() => good.length === 2);
    expect(b.errors.map((error) => error.message)).toEqual([expect.stringMatching(/broken client/)]);
    const local: number[] = [];
    a.fanout.subscribe(key, () => {
      throw new Error("local boom");
    });
    a.fanout.subscribe(key, (batch) => local.push(...batch.map((event) => event.seq)));
    expect(() => a.fanout.publish(key, events(3, 1))).not.toThrow();
    expect(local).toEqual([3]);
  });

  it("ignores malformed and foreign messages on a session's channel, and never throws on publish", async () => {
    const received: (readonly SessionEvent[])[] = [];
    b.fanout.subscribe(key, (batch) => received.push(batch));
    await b.fanout.subscribed(key);
    const hostile = [
      "not json",
      "null",
      JSON.stringify({ workerId: "x", key: { ...key, session: "other" }, events: events(1, 1) }),
      JSON.stringify({ workerId: "x", key, events: "nope" }),
      JSON.stringify({ workerId: "x", key, events: [{ seq: "1" }] }),
      JSON.stringify({ key, events: events(1, 1) }),
    ];
    for (const message of hostile) await a.publisher.publish(channel(key), message);
    a.fanout.publish(key, events(1, 1));
    await waitUntil(() => received.length === 1);
    expect(seqs(received)).toEqual([1]);
    expect(b.errors).toHaveLength(hostile.length);
    expect(() => a.fanout.publish({ ...key, session: "../x" }, events(1, 1))).not.toThrow();
    expect(a.errors.map((error) => error.code)).toEqual(["INVALID_NAME"]);
    expect(() => b.fanout.subscribe({ ...key, tenant: "a/b" }, () => {})).toThrow(/Invalid tenant/);
  });

  it("lets a client on worker B follow a run on worker A and resume from its last seq", async () => {
    const storeA = new RedisSessionStore({ redis: a.publisher, prefix });
    const storeB = new RedisSessionStore({ redis: b.publisher, prefix });
    const appendAndPublish = async (count: number) => {
      const lastSeq = (await storeA.info(key))?.lastSeq ?? 0;
      const stored = await storeA.append(
        key,
        Array.from({ length: count }, (_, index) => textEvent(`t${lastSeq + index + 1}`)),
        { expectedSeq: lastSeq },
      );
      a.fanout.publish(key, stored);
    };
    await appendAndPublish(3);
    // A reconnecting SSE client with Last-Event-ID: 1: subscribe, await the subscription, read the
    // backlog after its last seq, then take live events it has not seen.
    let lastEventId = 1;
    const delivered: number[] = [];
    const take = (batch: readonly SessionEvent[]) => {
      for (const event of batch) {
        if (event.seq <= lastEventId) continue;
        delivered.push(event.seq);
        lastEventId = event.seq;
      }
    };
    const buffered: (readonly SessionEvent[])[] = [];
    let live = false;
    b.fanout.subscribe(key, (batch) => (live ? take(batch) : buffered.push(batch)));
    await b.fanout.subscribed(key);
    const running = (async () => {
      for (let turn = 0; turn < 20; turn++) await appendAndPublish(2);
    })();
    take(await storeB.read(key, { after: lastEventId }));
    for (const batch of buffered) take(batch);
    live = true;
    await running;
    await waitUntil(() => lastEventId === 43);
    expect(delivered).toEqual(Array.from({ length: 42 }, (_, index) => index + 2));
  });
});

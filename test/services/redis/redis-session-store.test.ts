import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RedisSessionStore } from "../../../src/services/redis/redis-session-store.js";
import type { SessionKey } from "../../../src/services/session/session-store.js";
import {
  describeSessionStoreContract,
  rejection,
  textEvent,
} from "../../contracts/session-store.contract.js";
import { redisUrlOrSkip } from "../../support/services.js";
import { connectRedis, deleteKeys, keysUnder, uniquePrefix } from "./redis-test-support.js";

const url = await redisUrlOrSkip();

describe.skipIf(url === undefined)("RedisSessionStore", () => {
  describeSessionStoreContract("redis", async () => {
    const redis = await connectRedis(url as string);
    const prefix = uniquePrefix();
    return {
      store: new RedisSessionStore({ redis, prefix }),
      cleanup: async () => {
        await deleteKeys(redis, prefix);
        await redis.quit();
      },
    };
  });

  describe("layout and damage", () => {
    let redis: Redis;
    let prefix: string;
    let store: RedisSessionStore;
    const key: SessionKey = { tenant: "acme", agent: "assistant", session: "s1" };

    beforeAll(async () => {
      redis = await connectRedis(url as string);
    });
    afterAll(async () => {
      await redis.quit();
    });
    beforeEach(async (context) => {
      prefix = uniquePrefix();
      store = new RedisSessionStore({ redis, prefix });
      context.onTestFinished(() => deleteKeys(redis, prefix));
    });

    it("keeps a stream with <seq>-0 ids, a header hash and a scope index, all under the prefix", async () => {
      await store.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
      const root = `${prefix}:t:acme:a:assistant`;
      expect(await keysUnder(redis, prefix)).toEqual([
        `${root}:s:s1:events`,
        `${root}:s:s1:info`,
        `${root}:sessions`,
      ]);
      const entries = await redis.xrange(`${root}:s:s1:events`, "-", "+");
      expect(entries.map(([id]) => id)).toEqual(["1-0", "2-0"]);
      expect(JSON.parse(entries[1]?.[1][1] ?? "")).toMatchObject({ seq: 2, text: "b" });
      expect(await redis.hgetall(`${root}:s:s1:info`)).toMatchObject({
        id: "s1",
        agent: "assistant",
        tenant: "acme",
        lastSeq: "2",
      });
      const [member, score] = await redis.zrange(`${root}:sessions`, "0", "-1", "WITHSCORES");
      expect(member).toBe("s1");
      expect(new Date(Number(score)).toISOString()).toBe((await store.info(key))?.createdAt);
      await store.delete(key);
      expect(await keysUnder(redis, prefix)).toEqual([]);
    });

    it("writes nothing when a batch conflicts, and nothing outside its prefix", async () => {
      const other = new RedisSessionStore({ redis, prefix: `${prefix}:other` });
      await other.append(key, [textEvent("other")], { expectedSeq: 0 });
      await store.append(key, [textEvent("a")], { expectedSeq: 0 });
      const error = await rejection(store.append(key, [textEvent("b"), textEvent("c")], { expectedSeq: 0 }));
      expect(error.code).toBe("SESSION_CONFLICT");
      expect(await redis.xlen(`${prefix}:t:acme:a:assistant:s:s1:events`)).toBe(1);
      expect((await other.read(key)).map((event) => event.seq)).toEqual([1]);
    });

    it("reports SESSION_CORRUPT for foreign entries and refuses to append over a stream the header does not know", async () => {
      const stream = `${prefix}:t:acme:a:assistant:s:s1:events`;
      await redis.xadd(stream, "1-0", "e", "not json");
      expect((await rejection(store.read(key))).code).toBe("SESSION_CORRUPT");
      const error = await rejection(store.append(key, [textEvent("a")], { expectedSeq: 0 }));
      expect(error.code).toBe("SESSION_CORRUPT");
      expect(error.message).toMatch(/noeviction/);
      expect(await redis.xlen(stream)).toBe(1);
      expect(await redis.exists(`${prefix}:t:acme:a:assistant:s:s1:info`)).toBe(0);
      await redis.del(stream);
      await redis.xadd(stream, "1-0", "x", "{}");
      expect((await rejection(store.read(key))).code).toBe("SESSION_CORRUPT");
    });

    it("rejects a hostile or malformed prefix with CONFIG_INVALID", () => {
      for (const bad of ["", "a b", "*", "x".repeat(65), "pluto\0", ":lead", "a{b}"]) {
        expect(() => new RedisSessionStore({ redis, prefix: bad })).toThrow(
          expect.objectContaining({ code: "CONFIG_INVALID" }),
        );
      }
    });

    it("pages a long session with after and limit", async () => {
      const events = Array.from({ length: 500 }, (_, index) => textEvent(`e${index}`));
      await store.append(key, events, { expectedSeq: 0 });
      const seen: number[] = [];
      for (let after = 0; ; ) {
        const page = await store.read(key, { after, limit: 64 });
        if (page.length === 0) break;
        seen.push(...page.map((event) => event.seq));
        after = page.at(-1)?.seq ?? after;
      }
      expect(seen).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
    });

    it("shares one client between stores without redefining its scripts", async () => {
      const second = new RedisSessionStore({ redis, prefix });
      await store.append(key, [textEvent("a")], { expectedSeq: 0 });
      await second.append(key, [textEvent("b")], { expectedSeq: 1 });
      expect((await store.read(key)).map((event) => event.seq)).toEqual([1, 2]);
    });
  });
});

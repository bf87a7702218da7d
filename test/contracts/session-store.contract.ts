import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPlutoError, type PlutoError } from "../../src/core/errors.js";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import type { SessionKey, SessionStore } from "../../src/services/session/session-store.js";

/** What a contract factory returns: a fresh, empty store and how to dispose of it. */
export interface SessionStoreFixture {
  store: SessionStore;
  cleanup(): Promise<void>;
}

/** A text-delta event with the given text, for filling logs. */
export function textEvent(text: string, runId = "run-1"): RunEvent {
  return { type: "text-delta", runId, time: "2026-11-22T10:00:00.000Z", step: 1, text };
}

/** Awaits `promise` and returns the PlutoError it rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<PlutoError> {
  try {
    await promise;
  } catch (error) {
    if (isPlutoError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to reject with a PlutoError");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registers the {@link SessionStore} contract: every backend (in-memory, filesystem, PostgreSQL, …)
 * must pass it unchanged. `factory` is called before each test and must return an empty store.
 */
export function describeSessionStoreContract(
  name: string,
  factory: () => Promise<SessionStoreFixture>,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let fixture: SessionStoreFixture;
    let store: SessionStore;
    const key: SessionKey = { tenant: "default", agent: "assistant", session: "s1" };

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.cleanup();
    });

    it("numbers events from 1, gap-free, and reads them back in order", async () => {
      const first = await store.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
      expect(first.map((event) => event.seq)).toEqual([1, 2]);
      const second = await store.append(key, [textEvent("c")], { expectedSeq: 2 });
      expect(second).toEqual([{ ...textEvent("c"), seq: 3 }]);
      const events = await store.read(key);
      expect(events.map((event) => [event.seq, event.type === "text-delta" ? event.text : ""])).toEqual([
        [1, "a"],
        [2, "b"],
        [3, "c"],
      ]);
      expect(events[0]).toEqual({ ...textEvent("a"), seq: 1 });
    });

    it("stores every event type with all its fields", async () => {
      const events: RunEvent[] = [
        {
          type: "run-start",
          runId: "r",
          time: "2026-11-22T10:00:00.000Z",
          agent: "assistant",
          input: "hi",
          model: "openai/gpt-5-mini",
        },
        {
          type: "step-start",
          runId: "r",
          time: "2026-11-22T10:00:00.001Z",
          step: 1,
          model: "openai/gpt-5-mini",
        },
        {
          type: "tool-call",
          runId: "r",
          time: "2026-11-22T10:00:00.002Z",
          step: 1,
          toolCallId: "c1",
          toolName: "read",
          input: { path: "a", n: [1, 2] },
        },
        {
          type: "tool-result",
          runId: "r",
          time: "2026-11-22T10:00:00.003Z",
          step: 1,
          toolCallId: "c1",
          toolName: "read",
          content: "ok",
          isError: false,
          details: { bytes: 2 },
        },
        {
          type: "step-end",
          runId: "r",
          time: "2026-11-22T10:00:00.004Z",
          step: 1,
          finishReason: "stop",
          usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
        },
        {
          type: "run-end",
          runId: "r",
          time: "2026-11-22T10:00:00.005Z",
          status: "completed",
          usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
          steps: 1,
          output: "done",
          cost: 0.001,
        },
      ];
      await store.append(key, events, { expectedSeq: 0 });
      expect(await store.read(key)).toEqual(events.map((event, index) => ({ ...event, seq: index + 1 })));
    });

    it("ignores a seq supplied by the caller and does not keep references to caller objects", async () => {
      const event: RunEvent = Object.assign(textEvent("x"), { seq: 99 });
      const [stored] = await store.append(key, [event], { expectedSeq: 0 });
      expect(stored?.seq).toBe(1);
      (event as { text: string }).text = "mutated";
      const [read] = await store.read(key);
      expect(read).toMatchObject({ seq: 1, text: "x" });
      (read as { text: string }).text = "mutated too";
      expect((await store.read(key))[0]).toMatchObject({ text: "x" });
    });

    it("rejects a stale expectedSeq with SESSION_CONFLICT and writes nothing", async () => {
      await store.append(key, [textEvent("a")], { expectedSeq: 0 });
      const error = await rejection(store.append(key, [textEvent("b")], { expectedSeq: 0 }));
      expect(error.code).toBe("SESSION_CONFLICT");
      expect(error.details).toMatchObject({ expectedSeq: 0, actualSeq: 1 });
      const ahead = await rejection(store.append(key, [textEvent("b")], { expectedSeq: 5 }));
      expect(ahead.details).toMatchObject({ expectedSeq: 5, actualSeq: 1 });
      expect((await store.read(key)).length).toBe(1);
    });

    it("lets exactly one of two concurrent appends win; the loser retries with the new seq", async () => {
      await store.append(key, [textEvent("base")], { expectedSeq: 0 });
      const results = await Promise.allSettled([
        store.append(key, [textEvent("A1"), textEvent("A2")], { expectedSeq: 1 }),
        store.append(key, [textEvent("B1")], { expectedSeq: 1 }),
      ]);
      const won = results.filter((result) => result.status === "fulfilled");
      const lost = results.filter((result) => result.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const error = (lost[0] as PromiseRejectedResult).reason as unknown;
      expect(isPlutoError(error, "SESSION_CONFLICT")).toBe(true);
      const winner = (won[0] as PromiseFulfilledResult<SessionEvent[]>).value;
      const actualSeq = winner.at(-1)?.seq ?? 0;
      expect((error as PlutoError).details).toMatchObject({ expectedSeq: 1, actualSeq });
      await store.append(key, [textEvent("retry")], { expectedSeq: actualSeq });
      const seqs = (await store.read(key)).map((event) => event.seq);
      expect(seqs).toEqual(Array.from({ length: actualSeq + 1 }, (_, index) => index + 1));
      expect((await store.info(key))?.lastSeq).toBe(actualSeq + 1);
    });

    it("keeps many concurrent racing writers gap-free and duplicate-free", async () => {
      const writers = 8;
      const perWriter = 5;
      const texts: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let n = 0; n < perWriter; n++) {
            const text = `w${writer}-${n}`;
            for (;;) {
              const lastSeq = (await store.info(key))?.lastSeq ?? 0;
              try {
                await store.append(key, [textEvent(text)], { expectedSeq: lastSeq });
                texts.push(text);
                break;
              } catch (error) {
                if (!isPlutoError(error, "SESSION_CONFLICT")) throw error;
              }
            }
          }
        }),
      );
      const events = await store.read(key);
      expect(events.map((event) => event.seq)).toEqual(
        Array.from({ length: writers * perWriter }, (_, i) => i + 1),
      );
      expect(events.map((event) => (event.type === "text-delta" ? event.text : ""))).toEqual(texts);
    });

    it("reads after a position and with a limit", async () => {
      await store.append(
        key,
        ["1", "2", "3", "4", "5"].map((text) => textEvent(text)),
        { expectedSeq: 0 },
      );
      const seqs = async (options: { after?: number; limit?: number }) =>
        (await store.read(key, options)).map((event) => event.seq);
      expect(await seqs({ after: 2 })).toEqual([3, 4, 5]);
      expect(await seqs({ after: 2, limit: 2 })).toEqual([3, 4]);
      expect(await seqs({ limit: 1 })).toEqual([1]);
      expect(await seqs({ limit: 0 })).toEqual([]);
      expect(await seqs({ after: 5 })).toEqual([]);
      expect(await seqs({ after: 50 })).toEqual([]);
      for (const options of [{ after: -1 }, { limit: -1 }, { after: 1.5 }, { limit: Number.NaN }]) {
        expect((await rejection(store.read(key, options))).code).toBe("BAD_REQUEST");
      }
    });

    it("returns empty results for unknown sessions and scopes", async () => {
      expect(await store.read(key)).toEqual([]);
      expect(await store.info(key)).toBeUndefined();
      expect(await store.list({ tenant: "default", agent: "nobody" })).toEqual([]);
      await store.delete(key);
      expect(await store.append(key, [], { expectedSeq: 0 })).toEqual([]);
      expect(await store.info(key)).toBeUndefined();
    });

    it("reports info and lists sessions newest first", async () => {
      const before = Date.now();
      for (const session of ["older", "middle", "newest"]) {
        await store.append({ ...key, session }, [textEvent(session)], { expectedSeq: 0 });
        await sleep(5);
      }
      await store.append({ ...key, session: "older" }, [textEvent("more")], { expectedSeq: 1 });
      const info = await store.info({ ...key, session: "older" });
      expect(info).toMatchObject({ id: "older", agent: "assistant", tenant: "default", lastSeq: 2 });
      expect(Date.parse(info?.createdAt ?? "")).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(info?.createdAt ?? "").toISOString()).toBe(info?.createdAt);
      const list = await store.list({ tenant: "default", agent: "assistant" });
      expect(list.map((session) => [session.id, session.lastSeq])).toEqual([
        ["newest", 1],
        ["middle", 1],
        ["older", 2],
      ]);
    });

    it("deletes a session; a new one may then start at seq 1", async () => {
      await store.append(key, [textEvent("a"), textEvent("b")], { expectedSeq: 0 });
      await store.delete(key);
      expect(await store.read(key)).toEqual([]);
      expect(await store.info(key)).toBeUndefined();
      expect(await store.list(key)).toEqual([]);
      const [event] = await store.append(key, [textEvent("again")], { expectedSeq: 0 });
      expect(event?.seq).toBe(1);
    });

    it("stores a 1 MB text event intact", async () => {
      const text = `${"x".repeat(1024 * 1024 - 7)}ü€😀`;
      await store.append(key, [textEvent(text)], { expectedSeq: 0 });
      await store.append(key, [textEvent("after")], { expectedSeq: 1 });
      const events = await store.read(key);
      expect(events[0]?.type === "text-delta" && events[0].text === text).toBe(true);
      expect(events[1]).toMatchObject({ seq: 2, text: "after" });
    });

    it("round-trips unicode: emoji, RTL, combining marks, line separators, quotes", async () => {
      const text =
        'emoji 😀👩‍👩‍👧 RTL שלום عربي combining é\u0301 \u2028\u2029 "quotes" \\ back\nnew line\ttab';
      await store.append(key, [textEvent(text)], { expectedSeq: 0 });
      expect((await store.read(key))[0]).toMatchObject({ text });
    });

    it("isolates tenants and agents that use the same ids", async () => {
      const tenantB = { ...key, tenant: "tenant-b" };
      const otherAgent = { ...key, agent: "other" };
      await store.append(key, [textEvent("default tenant")], { expectedSeq: 0 });
      await store.append(tenantB, [textEvent("tenant b"), textEvent("tenant b 2")], { expectedSeq: 0 });
      expect(await store.read(otherAgent)).toEqual([]);
      expect((await store.read(key)).map((event) => event.seq)).toEqual([1]);
      expect((await store.read(tenantB)).map((event) => event.seq)).toEqual([1, 2]);
      expect((await store.read(tenantB))[0]).toMatchObject({ text: "tenant b" });
      expect((await store.info(tenantB))?.tenant).toBe("tenant-b");
      expect((await store.list(key)).map((session) => session.tenant)).toEqual(["default"]);
      expect((await store.list(tenantB)).map((session) => session.lastSeq)).toEqual([2]);
      await store.delete(tenantB);
      expect((await store.read(key)).length).toBe(1);
    });

    it("rejects hostile names with INVALID_NAME and writes nothing", async () => {
      const hostile: Partial<SessionKey>[] = [
        { session: "../x" },
        { session: "/etc/passwd" },
        { session: "a/b" },
        { session: "" },
        { session: "a\0b" },
        { session: ".." },
        { session: ".hidden" },
        { session: "a\\b" },
        { session: "x".repeat(200) },
        { agent: "../other" },
        { agent: "" },
        { tenant: "../default" },
        { tenant: "a/b" },
        { tenant: "t\0" },
      ];
      for (const override of hostile) {
        const bad = { ...key, ...override };
        expect((await rejection(store.append(bad, [textEvent("x")], { expectedSeq: 0 }))).code).toBe(
          "INVALID_NAME",
        );
        expect((await rejection(store.read(bad))).code).toBe("INVALID_NAME");
        expect((await rejection(store.info(bad))).code).toBe("INVALID_NAME");
        expect((await rejection(store.delete(bad))).code).toBe("INVALID_NAME");
      }
      expect((await rejection(store.list({ tenant: "default", agent: "../x" }))).code).toBe("INVALID_NAME");
      expect(await store.list(key)).toEqual([]);
    });

    it("rejects malformed appends with BAD_REQUEST", async () => {
      const bad: [unknown, unknown][] = [
        [[{ type: "nope", runId: "r", time: "t" }], { expectedSeq: 0 }],
        [[null], { expectedSeq: 0 }],
        ["not an array", { expectedSeq: 0 }],
        [[textEvent("x")], { expectedSeq: -1 }],
        [[textEvent("x")], { expectedSeq: 0.5 }],
        [[textEvent("x")], {}],
      ];
      for (const [events, options] of bad) {
        const error = await rejection(
          store.append(key, events as RunEvent[], options as { expectedSeq: number }),
        );
        expect(error.code).toBe("BAD_REQUEST");
      }
      expect(await store.info(key)).toBeUndefined();
    });
  });
}

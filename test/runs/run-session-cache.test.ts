import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import { SessionEventCache } from "../../src/runs/session-event-cache.js";
import { FsSessionStore } from "../../src/services/session/fs-session-store.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import type { ReadOptions, SessionKey, SessionStore } from "../../src/services/session/session-store.js";
import { tempDataDir } from "../services/temp-dir.js";
import { scriptedStream } from "../support/scripted-step.js";
import { createRunHarness } from "./run-harness.js";

const T0 = "2026-01-01T00:00:00.000Z";
const key: SessionKey = { tenant: "default", agent: "test-agent", session: "cached" };

/** A whole run as another worker would have written it. */
function otherRun(runId: string, input: string, answer: string): RunEvent[] {
  const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
  return [
    { type: "run-start", runId, time: T0, agent: "test-agent", input, model: "m/x" },
    { type: "step-start", runId, time: T0, step: 1, model: "m/x" },
    { type: "text-delta", runId, time: T0, step: 1, text: answer },
    { type: "step-end", runId, time: T0, step: 1, finishReason: "stop", usage },
    { type: "run-end", runId, time: T0, status: "completed", usage, steps: 1, output: answer },
  ];
}

/** The real store with its read calls recorded (to show what the run manager reads). */
function recordingReads(store: SessionStore): { store: SessionStore; reads: (ReadOptions | undefined)[] } {
  const reads: (ReadOptions | undefined)[] = [];
  return {
    reads,
    store: {
      append: (k, events, options) => store.append(k, events, options),
      read: (k, options) => {
        reads.push(options);
        return store.read(k, options);
      },
      info: (k) => store.info(k),
      list: (scope) => store.list(scope),
      delete: (k) => store.delete(k),
    },
  };
}

const backends: [string, () => Promise<{ store: SessionStore; cleanup(): Promise<void> }>][] = [
  ["in memory", async () => ({ store: new InMemorySessionStore(), cleanup: async () => {} })],
  [
    "filesystem",
    async () => {
      const { dataDir, cleanup } = await tempDataDir("run-cache");
      const store = new FsSessionStore({ dataDir, fsync: "never" });
      const close = async () => {
        await store.close();
        await cleanup();
      };
      return { store, cleanup: close };
    },
  ],
];

describe.each(backends)("RunManager reuses a session's events between runs (%s store)", (_, open) => {
  let backing: SessionStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store: backing, cleanup } = await open());
  });
  afterEach(() => cleanup());

  it("does not re-read the whole log before the session's next run", async () => {
    const recorded = recordingReads(backing);
    const script = scriptedStream([{ text: "one" }, { text: "two" }, { text: "three" }]);
    const { runs } = createRunHarness({ streamStep: script.streamStep, sessions: recorded.store });
    for (const input of ["a", "b", "c"]) {
      const handle = await runs.start({ agent: "test-agent", input, sessionId: key.session });
      expect(await handle.result).toMatchObject({ status: "completed" });
    }
    // Only the first run of the session reads it; later runs find nothing new after their cached events.
    expect(recorded.reads).toEqual([undefined]);
    expect(script.requests[2]?.messages).toEqual([
      { role: "user", text: "a" },
      { role: "assistant", text: "one", toolCalls: [] },
      { role: "user", text: "b" },
      { role: "assistant", text: "two", toolCalls: [] },
      { role: "user", text: "c" },
    ]);
    expect((await backing.read(key)).map((event) => event.seq)).toEqual(
      Array.from({ length: 15 }, (_, index) => index + 1),
    );
  });

  it("reads only what another writer appended since its last run, and includes it in the context", async () => {
    const recorded = recordingReads(backing);
    const script = scriptedStream([{ text: "one" }, { text: "three" }]);
    const { runs } = createRunHarness({ streamStep: script.streamStep, sessions: recorded.store });
    await (await runs.start({ agent: "test-agent", input: "a", sessionId: key.session })).result;
    await backing.append(key, otherRun("run_other", "from elsewhere", "two"), { expectedSeq: 5 });
    const handle = await runs.start({ agent: "test-agent", input: "c", sessionId: key.session });
    expect(await handle.result).toMatchObject({ status: "completed", output: "three" });
    expect(recorded.reads).toEqual([undefined, { after: 5 }]);
    expect(script.requests[1]?.messages).toEqual([
      { role: "user", text: "a" },
      { role: "assistant", text: "one", toolCalls: [] },
      { role: "user", text: "from elsewhere" },
      { role: "assistant", text: "two", toolCalls: [] },
      { role: "user", text: "c" },
    ]);
    const events = await backing.read(key);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 15 }, (_, index) => index + 1));
    expect(events.slice(10).every((event) => event.runId === handle.runId)).toBe(true);
  });

  it("marks a run cut off since its last run interrupted before the next run, which sees its partial answer", async () => {
    const script = scriptedStream([{ text: "one" }, { text: "fine" }]);
    const { runs } = createRunHarness({ streamStep: script.streamStep, sessions: backing });
    await (await runs.start({ agent: "test-agent", input: "a", sessionId: key.session })).result;
    await backing.append(key, otherRun("run_cut", "story", "Once upon").slice(0, 3), { expectedSeq: 5 });
    const handle = await runs.start({ agent: "test-agent", input: "go on", sessionId: key.session });
    expect(await handle.result).toMatchObject({ status: "completed" });
    const events = await backing.read(key);
    expect(events[8]).toMatchObject({
      seq: 9,
      type: "run-end",
      runId: "run_cut",
      status: "failed",
      error: { code: "RUN_INTERRUPTED" },
    });
    expect(events[9]).toMatchObject({ seq: 10, type: "run-start", runId: handle.runId });
    expect(script.requests[1]?.messages.slice(2)).toEqual([
      { role: "user", text: "story" },
      { role: "assistant", text: "Once upon", toolCalls: [] },
      { role: "user", text: "go on" },
    ]);
  });

  it("reads a session deleted and re-created between runs afresh, without the old events", async () => {
    const script = scriptedStream([{ text: "one" }, { text: "two" }, { text: "three" }]);
    const { runs } = createRunHarness({ streamStep: script.streamStep, sessions: backing });
    await (await runs.start({ agent: "test-agent", input: "old secret", sessionId: key.session })).result;
    await backing.delete(key);
    const fresh = await runs.start({ agent: "test-agent", input: "fresh", sessionId: key.session });
    expect(await fresh.result).toMatchObject({ status: "completed" });
    expect(script.requests[1]?.messages).toEqual([{ role: "user", text: "fresh" }]);
    expect((await backing.read(key))[0]).toMatchObject({ seq: 1, runId: fresh.runId });

    // Deleted again and re-created by another writer with more events than this process had cached.
    await backing.delete(key);
    await sleep(2); // a different createdAt
    await backing.append(key, [...otherRun("run_x", "x", "y"), ...otherRun("run_z", "z", "w")], {
      expectedSeq: 0,
    });
    const last = await runs.start({ agent: "test-agent", input: "again", sessionId: key.session });
    expect(await last.result).toMatchObject({ status: "completed" });
    expect(
      script.requests[2]?.messages.map((message) => (message.role === "user" ? message.text : "")),
    ).toEqual(["x", "", "z", "", "again"]);
  });

  it("does not cache a run whose events could not be written, and the next run still works", async () => {
    let failAppends = false;
    const failing: SessionStore = {
      append: (k, events, options) =>
        failAppends ? Promise.reject(new Error("disk full")) : backing.append(k, events, options),
      read: (k, options) => backing.read(k, options),
      info: (k) => backing.info(k),
      list: (scope) => backing.list(scope),
      delete: (k) => backing.delete(k),
    };
    const script = scriptedStream([{ text: "one" }, { text: "two" }, { text: "three" }]);
    const { runs } = createRunHarness({ streamStep: script.streamStep, sessions: failing });
    await (await runs.start({ agent: "test-agent", input: "a", sessionId: key.session })).result;
    failAppends = true;
    const broken = await runs.start({ agent: "test-agent", input: "b", sessionId: key.session });
    await expect(broken.result).rejects.toThrow(/disk full/);
    failAppends = false;
    const next = await runs.start({ agent: "test-agent", input: "c", sessionId: key.session });
    expect(await next.result).toMatchObject({ status: "completed" });
    const events = await backing.read(key);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.filter((event) => event.type === "run-start").map((event) => event.runId)).toContain(
      next.runId,
    );
  });
});

describe("SessionEventCache", () => {
  const events = (count: number, text = "x"): SessionEvent[] =>
    Array.from({ length: count }, (_, index) => ({
      seq: index + 1,
      type: "text-delta",
      runId: "r",
      time: T0,
      step: 1,
      text,
    }));

  it("keeps at most maxSessions, dropping the least recently used", () => {
    const cache = new SessionEventCache({ maxSessions: 2 });
    cache.set("a", T0, events(1));
    cache.set("b", T0, events(1));
    cache.get("a");
    cache.set("c", T0, events(1));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.events).toHaveLength(1);
    expect(cache.get("c")?.events).toHaveLength(1);
  });

  it("stays within its byte budget and never caches a session bigger than a quarter of it", () => {
    const cache = new SessionEventCache({ maxBytes: 40_000 });
    cache.set("big", T0, events(1, "y".repeat(10_001)));
    expect(cache.get("big")).toBeUndefined();
    expect(cache.bytes).toBe(0);
    for (const name of ["a", "b", "c", "d", "e"]) cache.set(name, T0, events(1, "z".repeat(9_000)));
    expect(cache.bytes).toBeLessThanOrEqual(40_000);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("e")).toBeDefined();
  });

  it("measures only new events when a session grows, and re-measures after a re-creation", () => {
    const cache = new SessionEventCache();
    const grown = events(3, "abc");
    cache.set("s", T0, grown.slice(0, 2));
    const two = cache.bytes;
    cache.set("s", T0, grown);
    expect(cache.bytes).toBeCloseTo((two * 3) / 2, 0);
    cache.set("s", "2026-02-02T00:00:00.000Z", grown.slice(0, 1));
    expect(cache.bytes).toBeCloseTo(two / 2, 0);
    cache.delete("s");
    expect(cache.bytes).toBe(0);
    expect(cache.get("s")).toBeUndefined();
  });
});

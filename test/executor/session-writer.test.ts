import { describe, expect, it } from "vitest";
import type { RunEvent, SessionEvent } from "../../src/core/events.js";
import { SessionWriter } from "../../src/executor/session-writer.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import { KEY } from "./executor-harness.js";

const TIME = "2026-01-01T00:00:00.000Z";
const delta = (text: string): RunEvent => ({ type: "text-delta", runId: "r", time: TIME, step: 1, text });

describe("SessionWriter", () => {
  it("numbers events after the existing ones, exposes queued events at once and publishes durable batches in order", async () => {
    const store = new InMemorySessionStore();
    const existing = await store.append(KEY, [delta("old")], { expectedSeq: 0 });
    const durable: SessionEvent[][] = [];
    const writer = new SessionWriter({
      store,
      key: KEY,
      existing,
      onDurable: (events) => durable.push(events),
    });
    writer.write(delta("a"));
    writer.write(delta("b"));
    expect(writer.events.map((event) => event.seq)).toEqual([1, 2, 3]);
    await writer.flush();
    writer.write(delta("c"));
    await writer.flush();
    const stored = await store.read(KEY);
    expect(stored.map((event) => (event as { text: string }).text)).toEqual(["old", "a", "b", "c"]);
    expect(durable.flat()).toEqual(stored.slice(1));
    expect(writer.events).toEqual(stored);
  });

  it("flush resolves at once when nothing is queued", async () => {
    const writer = new SessionWriter({
      store: new InMemorySessionStore(),
      key: KEY,
      existing: [],
      onDurable: () => {},
    });
    await expect(writer.flush()).resolves.toBeUndefined();
  });

  it("surfaces SESSION_CONFLICT from flush and from later writes when another writer appended first", async () => {
    const store = new InMemorySessionStore();
    const durable: SessionEvent[][] = [];
    const writer = new SessionWriter({
      store,
      key: KEY,
      existing: [],
      onDurable: (events) => durable.push(events),
    });
    await store.append(KEY, [delta("intruder")], { expectedSeq: 0 });
    writer.write(delta("mine"));
    await expect(writer.flush()).rejects.toMatchObject({ code: "SESSION_CONFLICT" });
    expect(() => writer.write(delta("more"))).toThrow(expect.objectContaining({ code: "SESSION_CONFLICT" }));
    expect(durable).toEqual([]);
    expect((await store.read(KEY)).map((event) => (event as { text: string }).text)).toEqual(["intruder"]);
  });
});

import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import { SessionWriter } from "../../src/executor/session-writer.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import type { SessionStore } from "../../src/services/session/session-store.js";
import { KEY } from "./executor-harness.js";

const TIME = "2026-01-01T00:00:00.000Z";
const delta = (text: string): RunEvent => ({ type: "text-delta", runId: "r", time: TIME, step: 1, text });

describe("SessionWriter batching", () => {
  it("appends everything written in one turn of the event loop with one append, in order", async () => {
    const store = new InMemorySessionStore();
    const batches: number[] = [];
    const recording: SessionStore = {
      append: (key, events, options) => {
        batches.push(events.length);
        return store.append(key, events, options);
      },
      read: (key, options) => store.read(key, options),
      info: (key) => store.info(key),
      list: (scope) => store.list(scope),
      delete: (key) => store.delete(key),
    };
    const writer = new SessionWriter({ store: recording, key: KEY, existing: [], onDurable: () => {} });
    writer.write(delta("a"));
    await Promise.resolve();
    writer.write(delta("b"));
    writer.write(delta("c"));
    await writer.flush();
    writer.write(delta("d"));
    await writer.flush();
    expect(batches).toEqual([3, 1]);
    expect((await store.read(KEY)).map((event) => [event.seq, (event as { text: string }).text])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
    ]);
  });
});

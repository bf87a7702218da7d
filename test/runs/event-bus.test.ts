import { describe, expect, it } from "vitest";
import type { SessionEvent } from "../../src/core/events.js";
import { EventBus, sessionKeyString } from "../../src/runs/event-bus.js";
import type { SessionKey } from "../../src/services/session/session-store.js";

const A: SessionKey = { tenant: "default", agent: "bot", session: "a" };
const B: SessionKey = { tenant: "default", agent: "bot", session: "b" };

function delta(seq: number, text = `t${seq}`): SessionEvent {
  return { seq, type: "text-delta", runId: "r", time: "2026-01-01T00:00:00.000Z", step: 1, text };
}

describe("EventBus", () => {
  it("delivers a session's batches, in order, only to that session's subscribers", () => {
    const bus = new EventBus();
    const gotA: SessionEvent[][] = [];
    const gotA2: SessionEvent[][] = [];
    const gotB: SessionEvent[][] = [];
    bus.subscribe(A, (events) => gotA.push([...events]));
    bus.subscribe(A, (events) => gotA2.push([...events]));
    bus.subscribe(B, (events) => gotB.push([...events]));
    bus.publish(A, [delta(1), delta(2)]);
    bus.publish(A, [delta(3)]);
    bus.publish(B, [delta(1, "b")]);
    expect(gotA).toEqual([[delta(1), delta(2)], [delta(3)]]);
    expect(gotA2).toEqual(gotA);
    expect(gotB).toEqual([[delta(1, "b")]]);
    expect(bus.size).toBe(2);
  });

  it("stops delivering after unsubscribe and forgets sessions with no subscribers", () => {
    const bus = new EventBus();
    const got: SessionEvent[] = [];
    const unsubscribe = bus.subscribe(A, (events) => got.push(...events));
    const other = bus.subscribe(A, () => {});
    unsubscribe();
    bus.publish(A, [delta(1)]);
    expect(got).toEqual([]);
    expect(bus.size).toBe(1);
    other();
    expect(bus.size).toBe(0);
    unsubscribe();
    other();
    expect(bus.size).toBe(0);
    bus.publish(A, [delta(2)]);
  });

  it("removes a listener that throws and keeps delivering to the others", () => {
    const bus = new EventBus();
    let brokenCalls = 0;
    const got: number[] = [];
    bus.subscribe(A, () => {
      brokenCalls += 1;
      throw new Error("client gone");
    });
    bus.subscribe(A, (events) => got.push(...events.map((event) => event.seq)));
    expect(() => bus.publish(A, [delta(1)])).not.toThrow();
    bus.publish(A, [delta(2)]);
    expect(brokenCalls).toBe(1);
    expect(got).toEqual([1, 2]);
  });

  it("lets a listener unsubscribe itself during delivery without skipping others", () => {
    const bus = new EventBus();
    const got: string[] = [];
    const unsubscribe = bus.subscribe(A, () => {
      got.push("first");
      unsubscribe();
    });
    bus.subscribe(A, () => got.push("second"));
    bus.publish(A, [delta(1)]);
    bus.publish(A, [delta(2)]);
    expect(got).toEqual(["first", "second", "second"]);
  });

  it("keys sessions by tenant, agent and session", () => {
    expect(sessionKeyString({ tenant: "t", agent: "a", session: "s" })).toBe("t/a/s");
    const bus = new EventBus();
    const got: SessionEvent[] = [];
    bus.subscribe({ tenant: "t1", agent: "a", session: "s" }, (events) => got.push(...events));
    bus.publish({ tenant: "t2", agent: "a", session: "s" }, [delta(1)]);
    bus.publish({ tenant: "t1", agent: "b", session: "s" }, [delta(1)]);
    expect(got).toEqual([]);
  });
});

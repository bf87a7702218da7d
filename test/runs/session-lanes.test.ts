import { describe, expect, it } from "vitest";
import { SessionLanes } from "../../src/runs/session-lanes.js";
import { deferred } from "../support/scripted-step.js";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SessionLanes", () => {
  it("runs work on one key strictly in arrival order, one at a time", async () => {
    const lanes = new SessionLanes();
    const log: string[] = [];
    let running = 0;
    const job = (name: string, ms: number) => async () => {
      running += 1;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([
      lanes.run("k", job("a", 15)),
      lanes.run("k", job("b", 1)),
      lanes.run("k", job("c", 5)),
    ]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("keeps order when work fails: the failure rejects its own promise only", async () => {
    const lanes = new SessionLanes();
    const log: string[] = [];
    const first = lanes.run("k", async () => {
      await tick();
      log.push("first");
      throw new Error("first failed");
    });
    const second = lanes.run("k", () => {
      log.push("second");
      throw new Error("second threw synchronously");
    });
    const third = lanes.run("k", async () => {
      log.push("third");
      return 3;
    });
    await expect(first).rejects.toThrow("first failed");
    await expect(second).rejects.toThrow("second threw synchronously");
    await expect(third).resolves.toBe(3);
    expect(log).toEqual(["first", "second", "third"]);
    await lanes.whenIdle("k");
    expect(lanes.busy("k")).toBe(false);
  });

  it("runs different keys concurrently", async () => {
    const lanes = new SessionLanes();
    const startedA = deferred();
    const startedB = deferred();
    const a = lanes.run("a", async () => {
      startedA.resolve();
      await startedB.promise;
      return "a";
    });
    const b = lanes.run("b", async () => {
      startedB.resolve();
      await startedA.promise;
      return "b";
    });
    expect(await Promise.all([a, b])).toEqual(["a", "b"]);
  });

  it("reports busy and size while work is queued, and forgets idle keys", async () => {
    const lanes = new SessionLanes();
    expect(lanes.busy("k")).toBe(false);
    expect(lanes.size).toBe(0);
    const gate = deferred();
    const first = lanes.run("k", () => gate.promise);
    const second = lanes.run("k", async () => "done");
    lanes.run("other", async () => undefined);
    expect(lanes.busy("k")).toBe(true);
    expect(lanes.size).toBe(2);
    let idle = false;
    const whenIdle = lanes.whenIdle("k").then(() => {
      idle = true;
    });
    await tick();
    expect(idle).toBe(false);
    gate.resolve();
    await Promise.all([first, second, whenIdle]);
    expect(idle).toBe(true);
    expect(lanes.busy("k")).toBe(false);
    await lanes.whenIdle("other");
    expect(lanes.size).toBe(0);
  });

  it("whenIdle also waits for work queued while it was waiting", async () => {
    const lanes = new SessionLanes();
    const log: string[] = [];
    lanes.run("k", async () => {
      await tick();
      log.push("one");
      lanes.run("k", async () => {
        await tick();
        log.push("two");
      });
    });
    await lanes.whenIdle("k");
    expect(log).toEqual(["one", "two"]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TaskInput, TaskStore } from "../../src/services/task/task-store.js";
import { rejection } from "./session-store.contract.js";

/** What a contract factory returns: a fresh, empty store and how to dispose of it. */
export interface TaskStoreFixture {
  store: TaskStore;
  cleanup(): Promise<void>;
}

/** Ids (and tenant, agent, session names) no backend may accept. */
export const HOSTILE_TASK_IDS = [
  "../x",
  "a/b",
  "/etc/passwd",
  "",
  "a\0b",
  ".hidden",
  "..",
  "a\\b",
  "x".repeat(200),
];

/** A task input with defaults for the fields a test does not care about. */
function taskInput(id: string, overrides: Partial<TaskInput> = {}): TaskInput {
  return {
    id,
    protocol: "agent-protocol",
    agent: "assistant",
    session: `session-${id}`,
    createdAt: new Date().toISOString(),
    data: { input: `hello ${id}` },
    ...overrides,
  };
}

/**
 * Registers the {@link TaskStore} contract: every backend (in-memory, filesystem, PostgreSQL, …) must
 * pass it unchanged. `factory` is called before each test and must return an empty store.
 */
export function describeTaskStoreContract(name: string, factory: () => Promise<TaskStoreFixture>): void {
  describe(`TaskStore contract: ${name}`, () => {
    let fixture: TaskStoreFixture;
    let store: TaskStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.cleanup();
    });

    it("creates a task at version 1 and reads it back", async () => {
      const input = taskInput("t1", { data: { input: "hi", nested: { list: [1, "two", null, true] } } });
      const before = Date.now();
      const record = await store.put("default", input, { expectedVersion: 0 });
      expect(record).toMatchObject({ ...input, version: 1 });
      expect(Date.parse(record.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(await store.get("default", "agent-protocol", "t1")).toEqual(record);
      expect(await store.get("default", "agent-protocol", "missing")).toBeUndefined();
    });

    it("replaces a task when the version matches and bumps the version", async () => {
      const first = await store.put("default", taskInput("t1"), { expectedVersion: 0 });
      const second = await store.put(
        "default",
        { ...taskInput("t1"), createdAt: first.createdAt, data: { input: "changed" } },
        { expectedVersion: 1 },
      );
      expect(second.version).toBe(2);
      expect(second.createdAt).toBe(first.createdAt);
      expect(Date.parse(second.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));
      expect((await store.get("default", "agent-protocol", "t1"))?.data).toEqual({ input: "changed" });
    });

    it("rejects a stale or early version with SESSION_CONFLICT and changes nothing", async () => {
      await store.put("default", taskInput("t1"), { expectedVersion: 0 });
      const stale = await rejection(
        store.put("default", taskInput("t1", { data: { x: 1 } }), { expectedVersion: 0 }),
      );
      expect(stale.code).toBe("SESSION_CONFLICT");
      expect(stale.details).toMatchObject({ expectedVersion: 0, actualVersion: 1 });
      const ahead = await rejection(store.put("default", taskInput("t1"), { expectedVersion: 5 }));
      expect(ahead.details).toMatchObject({ expectedVersion: 5, actualVersion: 1 });
      const absent = await rejection(store.put("default", taskInput("t2"), { expectedVersion: 1 }));
      expect(absent.details).toMatchObject({ expectedVersion: 1, actualVersion: 0 });
      expect(await store.get("default", "agent-protocol", "t2")).toBeUndefined();
      expect((await store.get("default", "agent-protocol", "t1"))?.data).toEqual({ input: "hello t1" });
    });

    it("lets exactly one of many concurrent writers of the same version win", async () => {
      await store.put("default", taskInput("t1"), { expectedVersion: 0 });
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          store.put("default", taskInput("t1", { data: { writer: index } }), { expectedVersion: 1 }),
        ),
      );
      const won = results.filter((result) => result.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const result of results) {
        if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "SESSION_CONFLICT" });
      }
      const stored = await store.get("default", "agent-protocol", "t1");
      expect(stored?.version).toBe(2);
      expect(stored?.data).toEqual(won[0]?.status === "fulfilled" ? won[0].value.data : undefined);
    });

    it("lets exactly one of two concurrent creators win", async () => {
      const results = await Promise.allSettled([
        store.put("default", taskInput("t1", { data: { who: "a" } }), { expectedVersion: 0 }),
        store.put("default", taskInput("t1", { data: { who: "b" } }), { expectedVersion: 0 }),
      ]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      expect((await store.get("default", "agent-protocol", "t1"))?.version).toBe(1);
    });

    it("does not let callers mutate stored records", async () => {
      const input = taskInput("t1", { data: { list: [1] } });
      const record = await store.put("default", input, { expectedVersion: 0 });
      (input.data.list as number[]).push(2);
      (record.data.list as number[]).push(3);
      const got = await store.get("default", "agent-protocol", "t1");
      expect(got?.data).toEqual({ list: [1] });
      (got?.data.list as number[] | undefined)?.push(4);
      expect((await store.get("default", "agent-protocol", "t1"))?.data).toEqual({ list: [1] });
    });

    it("lists oldest first with offset, limit, total and an agent filter", async () => {
      const base = Date.parse("2025-01-01T00:00:00.000Z");
      const order = [3, 0, 4, 1, 2];
      for (const index of order) {
        await store.put(
          "default",
          taskInput(`t${index}`, {
            agent: index % 2 === 0 ? "assistant" : "helper",
            createdAt: new Date(base + index * 1000).toISOString(),
          }),
          { expectedVersion: 0 },
        );
      }
      const all = await store.list("default", "agent-protocol");
      expect(all.total).toBe(5);
      expect(all.tasks.map((task) => task.id)).toEqual(["t0", "t1", "t2", "t3", "t4"]);
      const page = await store.list("default", "agent-protocol", { offset: 1, limit: 2 });
      expect(page).toMatchObject({ total: 5 });
      expect(page.tasks.map((task) => task.id)).toEqual(["t1", "t2"]);
      const beyond = await store.list("default", "agent-protocol", { offset: 10, limit: 2 });
      expect(beyond).toEqual({ tasks: [], total: 5 });
      const zero = await store.list("default", "agent-protocol", { limit: 0 });
      expect(zero).toEqual({ tasks: [], total: 5 });
      const helper = await store.list("default", "agent-protocol", { agent: "helper" });
      expect(helper.total).toBe(2);
      expect(helper.tasks.map((task) => task.id)).toEqual(["t1", "t3"]);
      expect(await store.list("default", "a2a")).toEqual({ tasks: [], total: 0 });
    });

    it("lists an empty store and defaults to 100 per page", async () => {
      expect(await store.list("default", "agent-protocol")).toEqual({ tasks: [], total: 0 });
      expect(await store.list("other", "a2a", { agent: "nobody" })).toEqual({ tasks: [], total: 0 });
      const base = Date.parse("2025-01-01T00:00:00.000Z");
      await Promise.all(
        Array.from({ length: 105 }, (_, index) =>
          store.put(
            "default",
            taskInput(`t${String(index).padStart(3, "0")}`, {
              createdAt: new Date(base + index).toISOString(),
            }),
            { expectedVersion: 0 },
          ),
        ),
      );
      const page = await store.list("default", "agent-protocol");
      expect(page.total).toBe(105);
      expect(page.tasks).toHaveLength(100);
      expect(page.tasks[0]?.id).toBe("t000");
    });

    it("keeps protocols apart: the same id in agent-protocol and a2a are two tasks", async () => {
      await store.put("default", taskInput("same"), { expectedVersion: 0 });
      await store.put("default", taskInput("same", { protocol: "a2a", data: { a2a: true } }), {
        expectedVersion: 0,
      });
      expect((await store.get("default", "a2a", "same"))?.data).toEqual({ a2a: true });
      expect((await store.get("default", "agent-protocol", "same"))?.data).toEqual({ input: "hello same" });
      await store.delete("default", "a2a", "same");
      expect(await store.get("default", "a2a", "same")).toBeUndefined();
      expect(await store.get("default", "agent-protocol", "same")).toBeDefined();
    });

    it("isolates tenants: another tenant can neither read, list, replace nor delete a task", async () => {
      await store.put("tenant-a", taskInput("secret", { data: { owner: "a" } }), { expectedVersion: 0 });
      expect(await store.get("tenant-b", "agent-protocol", "secret")).toBeUndefined();
      expect(await store.get("default", "agent-protocol", "secret")).toBeUndefined();
      expect(await store.list("tenant-b", "agent-protocol")).toEqual({ tasks: [], total: 0 });
      await store.delete("tenant-b", "agent-protocol", "secret");
      const own = await store.put("tenant-b", taskInput("secret", { data: { owner: "b" } }), {
        expectedVersion: 0,
      });
      expect(own.version).toBe(1);
      expect((await store.get("tenant-a", "agent-protocol", "secret"))?.data).toEqual({ owner: "a" });
      expect((await store.get("tenant-b", "agent-protocol", "secret"))?.data).toEqual({ owner: "b" });
      expect((await store.list("tenant-a", "agent-protocol")).total).toBe(1);
    });

    it("deletes a task, and deleting an absent task resolves", async () => {
      await store.put("default", taskInput("t1"), { expectedVersion: 0 });
      await store.delete("default", "agent-protocol", "t1");
      await store.delete("default", "agent-protocol", "t1");
      await store.delete("default", "agent-protocol", "never");
      expect(await store.get("default", "agent-protocol", "t1")).toBeUndefined();
      expect(await store.list("default", "agent-protocol")).toEqual({ tasks: [], total: 0 });
      expect((await store.put("default", taskInput("t1"), { expectedVersion: 0 })).version).toBe(1);
    });

    it("accepts data up to 1 MiB serialised and rejects more with BAD_REQUEST", async () => {
      const fits = "x".repeat(1024 * 1024 - 20);
      const record = await store.put("default", taskInput("big", { data: { text: fits } }), {
        expectedVersion: 0,
      });
      expect(record.version).toBe(1);
      const tooBig = await rejection(
        store.put("default", taskInput("big", { data: { text: `${fits}${"y".repeat(100)}` } }), {
          expectedVersion: 1,
        }),
      );
      expect(tooBig.code).toBe("BAD_REQUEST");
      expect(tooBig.details).toMatchObject({ limit: 1024 * 1024 });
      expect((await store.get("default", "agent-protocol", "big"))?.version).toBe(1);
    });

    it("rejects non-object data, bad versions, bad protocols and bad times with BAD_REQUEST", async () => {
      const bad: Array<[TaskInput, number]> = [
        [taskInput("t1", { data: [] as unknown as Record<string, unknown> }), 0],
        [taskInput("t1", { data: null as unknown as Record<string, unknown> }), 0],
        [taskInput("t1", { data: "text" as unknown as Record<string, unknown> }), 0],
        [taskInput("t1", { protocol: "smtp" as TaskInput["protocol"] }), 0],
        [taskInput("t1", { createdAt: "yesterday" }), 0],
        [taskInput("t1"), -1],
        [taskInput("t1"), 1.5],
        [taskInput("t1"), Number.NaN],
      ];
      for (const [input, expectedVersion] of bad) {
        const error = await rejection(store.put("default", input, { expectedVersion }));
        expect(error.code).toBe("BAD_REQUEST");
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(
        (await rejection(store.put("default", taskInput("t1", { data: cyclic }), { expectedVersion: 0 })))
          .code,
      ).toBe("BAD_REQUEST");
      for (const options of [{ offset: -1 }, { limit: -1 }, { limit: 2.5 }]) {
        expect((await rejection(store.list("default", "agent-protocol", options))).code).toBe("BAD_REQUEST");
      }
      expect((await rejection(store.get("default", "smtp" as TaskInput["protocol"], "t1"))).code).toBe(
        "BAD_REQUEST",
      );
      expect(await store.list("default", "agent-protocol")).toEqual({ tasks: [], total: 0 });
    });

    it("rejects hostile ids, tenants, agents and sessions with INVALID_NAME and writes nothing", async () => {
      for (const hostile of HOSTILE_TASK_IDS) {
        const codes = [
          (await rejection(store.put("default", taskInput(hostile), { expectedVersion: 0 }))).code,
          (await rejection(store.put(hostile, taskInput("t1"), { expectedVersion: 0 }))).code,
          (await rejection(store.put("default", taskInput("t1", { agent: hostile }), { expectedVersion: 0 })))
            .code,
          (
            await rejection(
              store.put("default", taskInput("t1", { session: hostile }), { expectedVersion: 0 }),
            )
          ).code,
          (await rejection(store.get("default", "agent-protocol", hostile))).code,
          (await rejection(store.get(hostile, "agent-protocol", "t1"))).code,
          (await rejection(store.delete("default", "agent-protocol", hostile))).code,
          (await rejection(store.list(hostile, "agent-protocol"))).code,
          (await rejection(store.list("default", "agent-protocol", { agent: hostile }))).code,
        ];
        expect(new Set(codes), JSON.stringify(hostile)).toEqual(new Set(["INVALID_NAME"]));
      }
      expect(await store.list("default", "agent-protocol")).toEqual({ tasks: [], total: 0 });
    });
  });
}

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AGENT_STORE_MAX_BYTES,
  AGENT_STORE_MAX_FILES,
  type AgentStore,
} from "../../src/services/agents/agent-store.js";
import { rejection } from "./session-store.contract.js";

/** What a contract factory returns: a fresh, empty store and how to dispose of it. */
export interface AgentStoreFixture {
  store: AgentStore;
  cleanup(): Promise<void>;
}

/** Tenant and agent names no backend may accept. */
export const HOSTILE_AGENT_NAMES = [
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

/** File paths no backend may accept. */
export const HOSTILE_AGENT_PATHS = [
  "../agent.yaml",
  "/etc/passwd",
  "skills/../../x",
  "a\\b",
  "a\0b",
  "",
  "skills//x",
];

/** A small agent's files; `marker` ends up in the system prompt. */
export function storedAgentFiles(name: string, marker = "first"): Record<string, string> {
  return {
    "agent.yaml": `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model: openai/gpt-5-mini\n`,
    "SYSTEM_PROMPT.md": `You are ${name} (${marker}).\n`,
    "INSTRUCTIONS.md": "Answer briefly.\n",
    "skills/research/SKILL.md": "---\nname: research\ndescription: Look things up.\n---\n",
  };
}

/**
 * Registers the {@link AgentStore} contract: every backend (in-memory, PostgreSQL) must pass it unchanged.
 * `factory` is called before each test and must return an empty store.
 */
export function describeAgentStoreContract(name: string, factory: () => Promise<AgentStoreFixture>): void {
  describe(`AgentStore contract: ${name}`, () => {
    let fixture: AgentStoreFixture;
    let store: AgentStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close?.();
      await fixture.cleanup();
    });

    it("creates an agent and reads back exactly its files, version and time", async () => {
      const files = storedAgentFiles("helper");
      const before = Date.now();
      const put = await store.put("default", "helper", files);
      expect(put.created).toBe(true);
      expect(Number.isSafeInteger(put.version) && put.version >= 1).toBe(true);
      expect(Date.parse(put.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(put.updatedAt).toISOString()).toBe(put.updatedAt);
      expect(await store.get("default", "helper")).toEqual({
        files,
        version: put.version,
        updatedAt: put.updatedAt,
      });
      expect(await store.version("default", "helper")).toBe(put.version);
    });

    it("answers undefined (not an error) for an agent that does not exist", async () => {
      expect(await store.get("default", "nobody")).toBeUndefined();
      expect(await store.version("default", "nobody")).toBeUndefined();
      expect(await store.delete("default", "nobody")).toBe(false);
      expect(await store.list("default")).toEqual({ agents: [], total: 0 });
    });

    it("keeps text byte for byte: Unicode, NUL, CRLF, empty files, JSON-looking text", async () => {
      const files = {
        "agent.yaml": "name: x\r\nspec: {}\r\n",
        "SYSTEM_PROMPT.md": "Grüße 👋 — \u0000 nul \\u0000 escaped\n",
        "INSTRUCTIONS.md": "",
        "skills/a/notes.json": '{"not":"parsed"}',
      };
      await store.put("default", "texts", files);
      expect((await store.get("default", "texts"))?.files).toEqual(files);
    });

    it("replaces all files at once with a greater version; removed files are gone", async () => {
      const first = await store.put("default", "helper", storedAgentFiles("helper"));
      const second = await store.put("default", "helper", { "agent.yaml": "changed\n" });
      expect(second.created).toBe(false);
      expect(second.version).toBeGreaterThan(first.version);
      const stored = await store.get("default", "helper");
      expect(stored?.files).toEqual({ "agent.yaml": "changed\n" });
      expect(stored?.version).toBe(second.version);
    });

    it("never gives an agent a version twice, not even after delete and create", async () => {
      const seen: number[] = [];
      for (let round = 0; round < 3; round++) {
        seen.push((await store.put("default", "phoenix", storedAgentFiles("phoenix", `r${round}`))).version);
        seen.push((await store.put("default", "phoenix", storedAgentFiles("phoenix", `s${round}`))).version);
        expect(await store.delete("default", "phoenix")).toBe(true);
        expect(await store.version("default", "phoenix")).toBeUndefined();
      }
      expect([...seen].sort((left, right) => left - right)).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it("conditional puts: 0 creates only, a version replaces only that version", async () => {
      const created = await store.put("default", "helper", storedAgentFiles("helper"), {
        expectedVersion: 0,
      });
      expect(created.created).toBe(true);
      const exists = await rejection(
        store.put("default", "helper", storedAgentFiles("helper", "x"), { expectedVersion: 0 }),
      );
      expect(exists.code).toBe("SESSION_CONFLICT");
      expect(exists.details).toMatchObject({
        agent: "helper",
        expectedVersion: 0,
        actualVersion: created.version,
      });
      const replaced = await store.put("default", "helper", storedAgentFiles("helper", "second"), {
        expectedVersion: created.version,
      });
      expect(replaced.created).toBe(false);
      const stale = await rejection(
        store.put("default", "helper", storedAgentFiles("helper", "third"), {
          expectedVersion: created.version,
        }),
      );
      expect(stale.details).toMatchObject({
        expectedVersion: created.version,
        actualVersion: replaced.version,
      });
      const missing = await rejection(
        store.put("default", "ghost", { "agent.yaml": "" }, { expectedVersion: 3 }),
      );
      expect(missing.details).toMatchObject({ expectedVersion: 3, actualVersion: 0 });
      expect(await store.version("default", "ghost")).toBeUndefined();
      expect((await store.get("default", "helper"))?.files["SYSTEM_PROMPT.md"]).toContain("second");
      const bad = await rejection(store.put("default", "helper", {}, { expectedVersion: -1 }));
      expect(bad.code).toBe("BAD_REQUEST");
    });

    it("of concurrent creates of one agent exactly one wins", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, index) =>
          store.put("default", "race", storedAgentFiles("race", `w${index}`), { expectedVersion: 0 }),
        ),
      );
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      for (const result of results) {
        if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "SESSION_CONFLICT" });
      }
    });

    it("lists names and versions in code-point order, with paging and a total", async () => {
      const names = ["b", "B", "a-b", "a.b", "a", "a_b", "Z9"];
      const versions = new Map<string, number>();
      for (const agent of names)
        versions.set(agent, (await store.put("default", agent, { "agent.yaml": agent })).version);
      const sorted = [...names].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
      const all = await store.list("default", { limit: 1000 });
      expect(all.total).toBe(names.length);
      expect(all.agents.map((entry) => entry.name)).toEqual(sorted);
      for (const entry of all.agents) {
        expect(entry.version).toBe(versions.get(entry.name));
        expect(Number.isNaN(Date.parse(entry.updatedAt))).toBe(false);
        expect(Object.keys(entry).sort()).toEqual(["name", "updatedAt", "version"]);
      }
      const page = await store.list("default", { offset: 2, limit: 3 });
      expect(page).toEqual({ agents: all.agents.slice(2, 5), total: names.length });
      expect(await store.list("default", { offset: 50 })).toEqual({ agents: [], total: names.length });
      for (const paging of [
        { offset: -1 },
        { offset: 1.5 },
        { limit: 0 },
        { limit: 1001 },
        { limit: Number.NaN },
      ]) {
        expect((await rejection(store.list("default", paging))).code).toBe("BAD_REQUEST");
      }
    });

    it("keeps tenants apart: the same name in two tenants are two agents", async () => {
      await store.put("acme", "helper", storedAgentFiles("helper", "acme"));
      await store.put("beta", "helper", storedAgentFiles("helper", "beta"));
      await store.put("acme", "only-acme", storedAgentFiles("only-acme"));
      expect((await store.get("beta", "helper"))?.files["SYSTEM_PROMPT.md"]).toContain("beta");
      expect(await store.get("beta", "only-acme")).toBeUndefined();
      expect(await store.version("beta", "only-acme")).toBeUndefined();
      expect((await store.list("beta")).agents.map((entry) => entry.name)).toEqual(["helper"]);
      expect(await store.delete("beta", "only-acme")).toBe(false);
      expect(await store.delete("beta", "helper")).toBe(true);
      expect((await store.get("acme", "helper"))?.files["SYSTEM_PROMPT.md"]).toContain("acme");
      expect((await store.list("acme")).total).toBe(2);
      expect(await store.list("default")).toEqual({ agents: [], total: 0 });
    });

    it("refuses hostile tenant and agent names on every method, storing nothing", async () => {
      for (const hostile of HOSTILE_AGENT_NAMES) {
        const calls = [
          store.put(hostile, "ok", { "agent.yaml": "" }),
          store.put("default", hostile, { "agent.yaml": "" }),
          store.get(hostile, "ok"),
          store.get("default", hostile),
          store.version(hostile, "ok"),
          store.version("default", hostile),
          store.list(hostile),
          store.delete(hostile, "ok"),
          store.delete("default", hostile),
        ];
        for (const call of calls) expect((await rejection(call)).code).toBe("INVALID_NAME");
      }
      expect((await store.list("default")).total).toBe(0);
    });

    it("refuses hostile file paths, non-text files and oversized agents, storing nothing", async () => {
      for (const hostile of HOSTILE_AGENT_PATHS) {
        const error = await rejection(store.put("default", "x", { "agent.yaml": "", [hostile]: "text" }));
        expect(error.code).toBe("INVALID_NAME");
      }
      const notText = { "agent.yaml": 5 } as unknown as Record<string, string>;
      expect((await rejection(store.put("default", "x", notText))).code).toBe("BAD_REQUEST");
      const many = Object.fromEntries(
        Array.from({ length: AGENT_STORE_MAX_FILES + 1 }, (_, index) => [`skills/s/f${index}.md`, "x"]),
      );
      expect((await rejection(store.put("default", "x", many))).code).toBe("BAD_REQUEST");
      const big = {
        "agent.yaml": "x".repeat(AGENT_STORE_MAX_BYTES / 2),
        "SYSTEM_PROMPT.md": "é".repeat(AGENT_STORE_MAX_BYTES / 4 + 1),
      };
      expect((await rejection(store.put("default", "x", big))).code).toBe("PAYLOAD_TOO_LARGE");
      expect(await store.version("default", "x")).toBeUndefined();
      expect((await store.list("default")).total).toBe(0);
    });

    it("hands out copies: changing what was put or read changes nothing stored", async () => {
      const files = storedAgentFiles("helper");
      await store.put("default", "helper", files);
      files["agent.yaml"] = "mutated";
      const read = await store.get("default", "helper");
      if (read === undefined) throw new Error("expected the agent");
      read.files["SYSTEM_PROMPT.md"] = "mutated";
      const again = await store.get("default", "helper");
      expect(again?.files).toEqual(storedAgentFiles("helper"));
    });
  });
}

import { lstat, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TenantAgents } from "../../../src/agents/tenant-agents.js";
import { PlutoError } from "../../../src/core/errors.js";
import { AgentFolderSync } from "../../../src/services/agents/agent-folder-sync.js";
import type { AgentStore } from "../../../src/services/agents/agent-store.js";
import { InMemoryAgentStore } from "../../../src/services/agents/in-memory-agent-store.js";
import { storedAgentFiles } from "../../contracts/agent-store.contract.js";
import { rejection } from "../../contracts/session-store.contract.js";

/** The agent's files as the admin API stores them, with `marker` in its system prompt. */
function files(name: string, marker: string, description = "Helps."): Record<string, string> {
  return {
    ...storedAgentFiles(name, marker),
    "agent.yaml": [
      "apiVersion: pluto/v1",
      "kind: Agent",
      "metadata:",
      `  name: ${name}`,
      `  description: ${description}`,
      "spec:",
      "  model: openai/gpt-5-mini",
      "",
    ].join("\n"),
  };
}

/**
 * An in-memory store that can be switched off: while `down`, every call fails the way an unreachable
 * PostgreSQL does (the real outage runs in test/server/admin/admin-agents-postgres.test.ts).
 */
class SwitchableStore extends InMemoryAgentStore {
  down = false;
  calls: string[] = [];
  #gate(method: string): void {
    this.calls.push(method);
    if (this.down) {
      throw new PlutoError("BACKEND_UNAVAILABLE", "PostgreSQL is unreachable (test).", { retryable: true });
    }
  }
  override async version(tenant: string, name: string) {
    this.#gate("version");
    return super.version(tenant, name);
  }
  override async get(tenant: string, name: string) {
    this.#gate("get");
    return super.get(tenant, name);
  }
  override async list(tenant: string, options?: { offset?: number; limit?: number }) {
    this.#gate("list");
    return super.list(tenant, options);
  }
}

describe("AgentFolderSync with TenantAgents", () => {
  let root: string;
  let store: SwitchableStore;
  let clock: number;
  let logs: string[];
  let sync: AgentFolderSync;
  let agents: TenantAgents;

  const build = (cacheDir: string) => {
    const source = new AgentFolderSync({
      store,
      cacheDir,
      now: () => clock,
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
    return {
      source,
      agents: new TenantAgents({
        agentsDir: path.join(root, "agents"),
        dataDir: path.join(root, "data"),
        providerNames: [],
        source,
      }),
    };
  };

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "pluto-agent-sync-"));
    store = new SwitchableStore();
    clock = 1_000_000;
    logs = [];
    ({ source: sync, agents } = build(path.join(root, "cache")));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("serves agents from the store through local copies: a link to a folder per version", async () => {
    const { version } = await store.put("acme", "helper", files("helper", "v1"));
    expect(agents.directoryOf("acme")).toBe(path.join(root, "cache", "acme"));
    const agent = await agents.get("helper", "acme");
    expect(agent.systemPrompt).toContain("(v1)");
    const folder = agents.directoryOf("acme");
    expect(await readlink(path.join(folder, "helper"))).toBe(`.helper@${version}`);
    expect((await readdir(folder)).sort()).toEqual([`.helper@${version}`, "helper"]);
    expect((await readdir(path.join(folder, "helper"), { recursive: true })).sort()).toEqual([
      "INSTRUCTIONS.md",
      "SYSTEM_PROMPT.md",
      "agent.yaml",
      "skills",
      "skills/research",
      "skills/research/SKILL.md",
    ]);
  });

  it("asks the store at most once per interval per agent, and at once after invalidate", async () => {
    await store.put("default", "helper", files("helper", "v1"));
    await agents.get("helper");
    store.calls = [];
    for (let index = 0; index < 5; index++) await agents.get("helper");
    expect(store.calls).toEqual([]);

    await store.put("default", "helper", files("helper", "v2"));
    clock += 999;
    expect((await agents.get("helper")).systemPrompt).toContain("(v1)");
    clock += 1;
    expect((await agents.get("helper")).systemPrompt).toContain("(v2)");
    expect(store.calls).toEqual(["version", "get"]);

    await store.put("default", "helper", files("helper", "v3"));
    agents.invalidate("default", "helper");
    expect((await agents.get("helper")).systemPrompt).toContain("(v3)");
    // Only the current version's folder is kept.
    const names = await readdir(agents.directoryOf("default"));
    expect(names.filter((name) => name.startsWith(".helper@"))).toHaveLength(1);
  });

  it("shares one check among concurrent gets", async () => {
    await store.put("default", "helper", files("helper", "v1"));
    const loaded = await Promise.all(Array.from({ length: 10 }, () => agents.get("helper")));
    expect(loaded.every((agent) => agent.systemPrompt.includes("(v1)"))).toBe(true);
    expect(store.calls).toEqual(["version", "get"]);
  });

  it("removes the copy of a deleted agent, and a re-created one gets a fresh copy", async () => {
    await store.put("default", "helper", files("helper", "v1"));
    await agents.get("helper");
    await store.delete("default", "helper");
    clock += 1000;
    expect((await rejection(agents.get("helper"))).code).toBe("AGENT_NOT_FOUND");
    expect(await readdir(agents.directoryOf("default"))).toEqual([]);
    await store.put("default", "helper", files("helper", "again"));
    clock += 1000;
    expect((await agents.get("helper")).systemPrompt).toContain("(again)");
  });

  it("lists a tenant from the store: new agents appear, deleted and foreign folders go", async () => {
    await store.put("acme", "a1", files("a1", "x", "First."));
    await store.put("acme", "a2", files("a2", "x", "Second."));
    await store.put("beta", "b1", files("b1", "x"));
    const foreign = path.join(agents.directoryOf("acme"), "stray");
    await mkdir(foreign, { recursive: true });
    await writeFile(path.join(foreign, "agent.yaml"), "not from the store");
    expect(await agents.list("acme")).toEqual([
      { name: "a1", description: "First.", valid: true, diagnostics: [], checked: true },
      { name: "a2", description: "Second.", valid: true, diagnostics: [], checked: true },
    ]);
    await store.delete("acme", "a1");
    await store.put("acme", "a3", files("a3", "x", "Third."));
    clock += 1000;
    const page = await agents.list("acme", { offset: 0, limit: 10 });
    expect(page.agents.map((agent) => agent.name)).toEqual(["a2", "a3"]);
    expect(page.total).toBe(2);
    // A get right after a listing needs no store call of its own.
    store.calls = [];
    await agents.get("a3", "acme");
    expect(store.calls).toEqual([]);
    expect((await agents.list("beta")).map((agent) => agent.name)).toEqual(["b1"]);
    expect((await rejection(agents.get("b1", "acme"))).code).toBe("AGENT_NOT_FOUND");
  });

  it("keeps tenants apart: the same name in two tenants loads each tenant's own files", async () => {
    await store.put("acme", "helper", files("helper", "acme"));
    await store.put("beta", "helper", files("helper", "beta"));
    expect((await agents.get("helper", "acme")).systemPrompt).toContain("(acme)");
    expect((await agents.get("helper", "beta")).systemPrompt).toContain("(beta)");
    expect((await rejection(agents.get("helper", "default"))).code).toBe("AGENT_NOT_FOUND");
  });

  it("refuses hostile tenant and agent names before touching the store or the disk", async () => {
    for (const hostile of ["../x", "a/b", "/etc/passwd", "", "a\0b", ".hidden", ".."]) {
      expect((await rejection(agents.get(hostile, "acme"))).code).toBe("INVALID_NAME");
      expect((await rejection(agents.get("helper", hostile))).code).toBe("INVALID_NAME");
      expect((await rejection(sync.sync(hostile))).code).toBe("INVALID_NAME");
      expect(() => agents.directoryOf(hostile)).toThrow(/Invalid tenant name/);
      sync.expire(hostile, hostile);
    }
    expect(store.calls).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  });

  it("never writes a stored file outside the agent's folder", async () => {
    const hostileStore: AgentStore = {
      put: async () => ({ version: 1, updatedAt: new Date().toISOString(), created: true }),
      version: async () => 7,
      get: async () => ({
        files: { ...files("helper", "v1"), "../../escaped.md": "x", "skills/../../up.md": "x" },
        version: 7,
        updatedAt: new Date().toISOString(),
      }),
      list: async () => ({ agents: [], total: 0 }),
      delete: async () => false,
    };
    const cacheDir = path.join(root, "hostile-cache");
    const source = new AgentFolderSync({
      store: hostileStore,
      cacheDir,
      log: (_, message) => logs.push(message),
    });
    expect(await source.sync("default", "helper")).toEqual(["helper"]);
    expect((await readdir(root)).sort()).toEqual(["hostile-cache"]);
    expect((await readdir(path.join(cacheDir, "default", "helper"))).sort()).toEqual([
      "INSTRUCTIONS.md",
      "SYSTEM_PROMPT.md",
      "agent.yaml",
      "skills",
    ]);
    expect(logs.filter((line) => line.includes("unsafe path"))).toHaveLength(2);
  });

  it("store unreachable: copies keep loading, agents without one get BACKEND_UNAVAILABLE", async () => {
    await store.put("acme", "cached", files("cached", "v1"));
    await store.put("acme", "uncached", files("uncached", "v1"));
    await agents.get("cached", "acme");
    store.down = true;
    clock += 5000;
    expect((await agents.get("cached", "acme")).systemPrompt).toContain("(v1)");
    clock += 5000;
    // Later checks run in the background while the copy is served.
    expect((await agents.get("cached", "acme")).systemPrompt).toContain("(v1)");
    const error = await rejection(agents.get("uncached", "acme"));
    expect(error.code).toBe("BACKEND_UNAVAILABLE");
    expect((await agents.list("acme")).map((agent) => agent.name)).toEqual(["cached"]);
    const empty = await rejection(agents.list("beta"));
    expect(empty.code).toBe("BACKEND_UNAVAILABLE");
    expect(logs.filter((line) => line.startsWith("warn: Agent store unreachable"))).toHaveLength(1);

    store.down = false;
    await store.put("acme", "cached", files("cached", "v2"));
    clock += 5000;
    await agents.get("cached", "acme"); // starts a background refresh (the store failed last time)
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock += 5000;
    expect((await agents.get("cached", "acme")).systemPrompt).toContain("(v2)");
    expect((await agents.get("uncached", "acme")).systemPrompt).toContain("(v1)");
    expect(logs.some((line) => line.startsWith("info: Agent store reachable again"))).toBe(true);
  });

  it("a second worker with its own cache folder sees a change after the interval", async () => {
    const other = build(path.join(root, "cache-b"));
    await store.put("default", "helper", files("helper", "v1"));
    expect((await agents.get("helper")).systemPrompt).toContain("(v1)");
    expect((await other.agents.get("helper")).systemPrompt).toContain("(v1)");
    await store.put("default", "helper", files("helper", "v2"));
    clock += 1000;
    expect((await other.agents.get("helper")).systemPrompt).toContain("(v2)");
    expect((await lstat(path.join(root, "cache-b", "default", "helper"))).isSymbolicLink()).toBe(true);
  });
});

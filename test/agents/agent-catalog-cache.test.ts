import { utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentCache, estimateAgentBytes } from "../../src/agents/agent-cache.js";
import { AgentCatalog } from "../../src/agents/agent-catalog.js";
import { type LoadAgentResult, loadAgent } from "../../src/agents/load-agent.js";
import { type AgentSandbox, createAgentSandbox, VALID_AGENT_YAML } from "./agent-fixture.js";

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

const KIB = 1024;

/** Writes an agent whose system prompt is `promptBytes` long, with files aged a minute (not "just written"). */
async function agentWithPrompt(name: string, promptBytes: number): Promise<string> {
  const directory = await sandbox.agent(
    {
      "agent.yaml": VALID_AGENT_YAML.replace("name: bot", `name: ${name}`),
      "SYSTEM_PROMPT.md": "p".repeat(promptBytes),
      "INSTRUCTIONS.md": "Be brief.",
    },
    name,
  );
  const past = new Date(Date.now() - 60_000);
  for (const file of ["agent.yaml", "SYSTEM_PROMPT.md", "INSTRUCTIONS.md"]) {
    await utimes(path.join(directory, file), past, past);
  }
  return directory;
}

function countingCatalog(options: { cache?: AgentCache; maxCached?: number; maxCachedBytes?: number }) {
  const loads: string[] = [];
  const catalog = new AgentCatalog({
    agentsDir: sandbox.root,
    providerNames: [],
    ...options,
    load: async (directory, loadOptions): Promise<LoadAgentResult> => {
      loads.push(path.basename(directory));
      return loadAgent(directory, loadOptions);
    },
  });
  return { catalog, loads };
}

describe("estimateAgentBytes", () => {
  it("grows with the prompt text", async () => {
    await agentWithPrompt("small", 10);
    await agentWithPrompt("large", 100 * KIB);
    const small = await loadAgent(path.join(sandbox.root, "small"), { providerNames: [] });
    const large = await loadAgent(path.join(sandbox.root, "large"), { providerNames: [] });
    expect(estimateAgentBytes(small)).toBeGreaterThan(500);
    expect(estimateAgentBytes(small)).toBeLessThan(10 * KIB);
    expect(estimateAgentBytes(large) - estimateAgentBytes(small)).toBeGreaterThanOrEqual(100 * KIB - 10);
    expect(estimateAgentBytes(large) - estimateAgentBytes(small)).toBeLessThan(101 * KIB);
  });

  it("counts multi-byte text by its UTF-8 length", async () => {
    await agentWithPrompt("ascii", 0);
    const directory = await agentWithPrompt("emoji", 0);
    await writeFile(path.join(directory, "SYSTEM_PROMPT.md"), "🪐".repeat(1000));
    const ascii = await loadAgent(path.join(sandbox.root, "ascii"), { providerNames: [] });
    const emoji = await loadAgent(directory, { providerNames: [] });
    expect(estimateAgentBytes(emoji) - estimateAgentBytes(ascii)).toBeGreaterThanOrEqual(4000);
  });
});

describe("AgentCatalog byte bound", () => {
  it("keeps the estimated bytes under maxCachedBytes, evicting the least recently used", async () => {
    for (const name of ["p1", "p2", "p3", "p4", "p5"]) await agentWithPrompt(name, 300 * KIB);
    const { catalog, loads } = countingCatalog({ maxCached: 100, maxCachedBytes: KIB * KIB });
    for (const name of ["p1", "p2", "p3"]) await catalog.get(name);
    expect(catalog.cache.stats().entries).toBe(3);
    await catalog.get("p1"); // most recently used now
    await catalog.get("p4"); // 4 × 300 KiB > 1 MiB: evicts p2
    const stats = catalog.cache.stats();
    expect(stats.entries).toBe(3);
    expect(stats.bytes).toBeLessThanOrEqual(KIB * KIB);
    expect(stats.evictions).toBe(1);
    expect(catalog.cache.keys().map((key) => path.basename(key))).toEqual(["p3", "p1", "p4"]);
    expect(loads).toEqual(["p1", "p2", "p3", "p4"]);
    await catalog.get("p2");
    expect(loads.at(-1)).toBe("p2");
    expect(catalog.cache.stats().bytes).toBeLessThanOrEqual(KIB * KIB);
  });

  it("serves an agent larger than the whole budget without keeping it", async () => {
    await agentWithPrompt("huge", 200 * KIB);
    await agentWithPrompt("tiny", 10);
    const { catalog, loads } = countingCatalog({ maxCachedBytes: 100 * KIB });
    await catalog.get("tiny");
    expect((await catalog.get("huge")).systemPrompt).toHaveLength(200 * KIB);
    await catalog.get("huge");
    expect(loads).toEqual(["tiny", "huge", "huge"]);
    // The oversized agent did not push the small one out.
    expect(catalog.cache.keys().map((key) => path.basename(key))).toEqual(["tiny"]);
  });
});

describe("AgentCatalog invalidation", () => {
  it("a changed prompt file drops the cached copy; an unchanged one is served warm", async () => {
    const directory = await agentWithPrompt("alpha", 10);
    const { catalog, loads } = countingCatalog({});
    const first = await catalog.get("alpha");
    expect(await catalog.get("alpha")).toBe(first);
    await writeFile(path.join(directory, "SYSTEM_PROMPT.md"), "Changed.");
    const second = await catalog.get("alpha");
    expect(second.systemPrompt).toBe("Changed.");
    expect(loads).toEqual(["alpha", "alpha"]);
    expect(catalog.cache.stats().invalidations).toBe(1);
  });

  it("invalidate(name) and invalidate() force a reload even when no file changed", async () => {
    await agentWithPrompt("alpha", 10);
    await agentWithPrompt("beta", 10);
    const { catalog, loads } = countingCatalog({});
    const alpha = await catalog.get("alpha");
    const beta = await catalog.get("beta");
    catalog.invalidate("alpha");
    expect(await catalog.get("alpha")).not.toBe(alpha);
    expect(await catalog.get("beta")).toBe(beta);
    catalog.invalidate();
    expect(catalog.cache.stats().entries).toBe(0);
    await catalog.get("beta");
    expect(loads).toEqual(["alpha", "beta", "alpha", "beta"]);
  });

  it("invalidate() of one catalog leaves other catalogs' agents in a shared cache", async () => {
    await agentWithPrompt("alpha", 10);
    const cache = new AgentCache({ maxEntries: 10 });
    const one = countingCatalog({ cache });
    const other = new AgentCatalog({ agentsDir: path.join(sandbox.root, "alpha"), providerNames: [], cache });
    await one.catalog.get("alpha");
    cache.set(`${path.join(sandbox.root, "alpha")}${path.sep}x`, {
      result: { diagnostics: [], files: [] },
      stamps: [],
      bytes: 1,
    });
    other.invalidate();
    expect(cache.keys()).toEqual([path.join(sandbox.root, "alpha")]);
    one.catalog.invalidate();
    expect(cache.keys()).toEqual([]);
  });
});

describe("AgentCache", () => {
  const entry = (bytes: number) => ({ result: { diagnostics: [], files: [] }, stamps: [], bytes });

  it("applies defaults and floors", () => {
    const defaults = new AgentCache();
    expect([defaults.maxEntries, defaults.maxBytes]).toEqual([1000, 64 * KIB * KIB]);
    const tiny = new AgentCache({ maxEntries: 0, maxBytes: -5 });
    expect([tiny.maxEntries, tiny.maxBytes]).toEqual([1, 1]);
  });

  it("replacing an entry updates the byte total instead of adding to it", () => {
    const cache = new AgentCache({ maxEntries: 5, maxBytes: 100 });
    cache.set("a", entry(60));
    cache.set("a", entry(70));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 70, evictions: 0 });
    expect(cache.set("b", entry(101))).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 70 });
    cache.set("c", entry(40)); // 110 > 100: evicts a
    expect(cache.keys()).toEqual(["c"]);
    expect(cache.peek("a")).toBeUndefined();
    expect(cache.delete("c")).toBe(true);
    expect(cache.delete("c")).toBe(false);
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0, evictions: 1, invalidations: 1 });
  });

  it("peek does not change the eviction order; get does", () => {
    const cache = new AgentCache({ maxEntries: 2 });
    cache.set("a", entry(1));
    cache.set("b", entry(1));
    cache.peek("a");
    cache.set("c", entry(1));
    expect(cache.keys()).toEqual(["b", "c"]);
    cache.get("b");
    cache.set("d", entry(1));
    expect(cache.keys()).toEqual(["b", "d"]);
  });
});

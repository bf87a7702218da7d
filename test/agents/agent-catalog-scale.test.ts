import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentCatalog, type AgentPage } from "../../src/agents/agent-catalog.js";
import { type LoadAgentResult, loadAgent } from "../../src/agents/load-agent.js";
import { isPlutoError } from "../../src/core/errors.js";

const AGENTS = 10_000;
const LRU = 1_000;

/** `agent-00042`: zero-padded so name order is numeric order. */
const nameOf = (index: number) => `agent-${String(index).padStart(5, "0")}`;

/** Writes one minimal valid agent folder synchronously (the fastest way to write 30,000 small files). */
function writeAgent(root: string, name: string, systemPrompt = `You are ${name}.`): void {
  const directory = path.join(root, name);
  mkdirSync(directory, { recursive: true });
  const files: [string, string][] = [
    [
      "agent.yaml",
      `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\n  description: Agent ${name}\nspec:\n  model: openai/gpt-5-mini\n`,
    ],
    ["SYSTEM_PROMPT.md", systemPrompt],
    ["INSTRUCTIONS.md", "Be brief."],
  ];
  for (const [file, text] of files) writeFileSync(path.join(directory, file), text);
}

/** A catalog over `root` that records every agent folder it loads from disk. */
function countingCatalog(root: string, options: { maxCached?: number; maxCachedBytes?: number } = {}) {
  const loads: string[] = [];
  const catalog = new AgentCatalog({
    agentsDir: root,
    providerNames: [],
    ...options,
    load: async (directory, loadOptions): Promise<LoadAgentResult> => {
      loads.push(path.basename(directory));
      return loadAgent(directory, loadOptions);
    },
  });
  return { catalog, loads };
}

/**
 * Where the 30,000 files go: a RAM-backed /dev/shm when there is one (on this project's virtual disks a
 * file creation in os.tmpdir() can take half a millisecond, 15 s for the set; tmpfs takes well under one),
 * else the OS temp folder. Either way a fresh `pluto-…` temp dir, removed afterwards.
 */
function fastTempBase(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

let root: string;
let generatedMs = 0;
beforeAll(async () => {
  const started = performance.now();
  root = await mkdtemp(path.join(fastTempBase(), "pluto-agents-scale-"));
  for (let index = 0; index < AGENTS; index += 1) writeAgent(root, nameOf(index));
  mkdirSync(path.join(root, "shared")); // not an agent: no agent.yaml
  generatedMs = performance.now() - started;
  // A file younger than a second is re-read on the next get (coarse mtimes); let every file age past that.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe(`AgentCatalog with ${AGENTS} agents and an LRU of ${LRU}`, () => {
  it("generates the folders quickly", () => {
    // Not a performance assertion: a visible number so a slow generator is noticed.
    console.info(`${AGENTS} agent folders (${AGENTS * 3} files) written in ${Math.round(generatedMs)} ms`);
    expect(generatedMs).toBeGreaterThan(0);
  });

  it("lists names and pages without loading every agent", async () => {
    const { catalog, loads } = countingCatalog(root, { maxCached: LRU });
    const all = await catalog.list();
    expect(all).toHaveLength(AGENTS);
    expect(loads).toEqual([]);
    expect(all[0]).toEqual({
      name: nameOf(0),
      description: "",
      valid: true,
      diagnostics: [],
      checked: false,
    });
    expect(all.at(-1)?.name).toBe(nameOf(AGENTS - 1));

    const page: AgentPage = await catalog.list({ offset: 5_000, limit: 50 });
    expect(page.total).toBe(AGENTS);
    expect(page.agents.map((agent) => agent.name)).toEqual(
      Array.from({ length: 50 }, (_, index) => nameOf(5_000 + index)),
    );
    expect(page.agents.every((agent) => agent.checked && agent.valid)).toBe(true);
    expect(page.agents[0]?.description).toBe(`Agent ${nameOf(5_000)}`);
    expect(loads).toHaveLength(50);
    expect(catalog.cache.stats().entries).toBe(50);

    // The same page again is served from the cache; the array form now reports those agents as checked.
    await catalog.list({ offset: 5_000, limit: 50 });
    expect(loads).toHaveLength(50);
    const again = await catalog.list();
    expect(again.filter((agent) => agent.checked).map((agent) => agent.name)).toEqual(
      page.agents.map((agent) => agent.name),
    );
    const last = await catalog.list({ offset: AGENTS - 10, limit: 100 });
    expect(last.agents).toHaveLength(10);
    expect((await catalog.list({ offset: AGENTS, limit: 5 })).agents).toEqual([]);
  });

  it("a cold get loads once, a warm get only checks file stamps, and the cache never passes its bound", async () => {
    const { catalog, loads } = countingCatalog(root, { maxCached: LRU });
    const cold = await catalog.get(nameOf(7));
    expect(loads).toEqual([nameOf(7)]);
    expect(await catalog.get(nameOf(7))).toBe(cold);
    expect(loads).toHaveLength(1);

    for (let index = 0; index < 3 * LRU; index += 1) {
      await catalog.get(nameOf(index));
      expect(catalog.cache.stats().entries).toBeLessThanOrEqual(LRU);
    }
    const stats = catalog.cache.stats();
    expect(stats.entries).toBe(LRU);
    expect(stats.evictions).toBe(2 * LRU);
    // Least recently used first: what is left is the last thousand agents, in the order they were used.
    expect(catalog.cache.keys().map((key) => path.basename(key))).toEqual(
      Array.from({ length: LRU }, (_, index) => nameOf(2 * LRU + index)),
    );
    // nameOf(7) was loaded (again) at index 7, and evicted since: a cold get of it loads from disk.
    const before = loads.length;
    await catalog.get(nameOf(7));
    expect(loads.length).toBe(before + 1);
  });

  it("evicts the least recently used agent, not the least recently loaded one", async () => {
    const { catalog, loads } = countingCatalog(root, { maxCached: LRU });
    for (let index = 0; index < LRU; index += 1) await catalog.get(nameOf(index));
    await catalog.get(nameOf(0)); // now the most recently used
    await catalog.get(nameOf(LRU)); // evicts nameOf(1)
    const loaded = loads.length;
    await catalog.get(nameOf(0));
    expect(loads.length).toBe(loaded);
    await catalog.get(nameOf(1));
    expect(loads.at(-1)).toBe(nameOf(1));
    expect(loads.length).toBe(loaded + 1);
  });

  it("an agent whose agent.yaml is removed is no longer found or listed", async () => {
    const { catalog } = countingCatalog(root, { maxCached: LRU });
    const victim = nameOf(AGENTS - 1);
    await catalog.get(victim);
    expect((await catalog.list()).length).toBe(AGENTS);
    await unlink(path.join(root, victim, "agent.yaml"));
    try {
      const error = await catalog.get(victim).catch((caught: unknown) => caught);
      expect(isPlutoError(error, "AGENT_NOT_FOUND")).toBe(true);
      const names = (await catalog.list()).map((agent) => agent.name);
      expect(names).toHaveLength(AGENTS - 1);
      expect(names).not.toContain(victim);
    } finally {
      writeAgent(root, victim);
    }
    // Written back into the existing folder (the parent folder's stamp does not change): found again.
    expect((await catalog.get(victim)).name).toBe(victim);
    expect((await catalog.list()).length).toBe(AGENTS);
  });

  it("an agent.yaml written into a folder that had none makes it an agent", async () => {
    const { catalog } = countingCatalog(root, { maxCached: LRU });
    expect((await catalog.list()).map((agent) => agent.name)).not.toContain("shared");
    await writeFile(
      path.join(root, "shared", "agent.yaml"),
      "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: shared\nspec:\n  model: openai/gpt-5-mini\n",
    );
    try {
      expect((await catalog.list()).map((agent) => agent.name)).toContain("shared");
      const page = await catalog.list({ offset: AGENTS, limit: 10 });
      // Its Markdown files are missing, so it is listed, checked and invalid.
      expect(page.agents.map(({ name, valid, checked }) => ({ name, valid, checked }))).toEqual([
        { name: "shared", valid: false, checked: true },
      ]);
    } finally {
      await unlink(path.join(root, "shared", "agent.yaml"));
    }
  });

  it("rejects bad paging", async () => {
    const { catalog } = countingCatalog(root);
    for (const options of [
      { offset: -1 },
      { offset: 1.5 },
      { limit: 0 },
      { limit: 1001 },
      { limit: Number.NaN },
    ]) {
      const error = await catalog.list(options).catch((caught: unknown) => caught);
      expect(isPlutoError(error, "BAD_REQUEST"), JSON.stringify(options)).toBe(true);
    }
  });
});

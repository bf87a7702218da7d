import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TenantAgents } from "../../src/agents/tenant-agents.js";
import { isPlutoError } from "../../src/core/errors.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pluto-tenant-agents-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes a valid agent into `agentsDir`, aged a minute so loads are cached. */
async function writeAgent(agentsDir: string, name: string, prompt = `You are ${name}.`): Promise<void> {
  const directory = path.join(agentsDir, name);
  await mkdir(directory, { recursive: true });
  const files: Record<string, string> = {
    "agent.yaml": `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model: openai/gpt-5-mini\n`,
    "SYSTEM_PROMPT.md": prompt,
    "INSTRUCTIONS.md": "Be brief.",
  };
  const past = new Date(Date.now() - 60_000);
  for (const [file, text] of Object.entries(files)) {
    await writeFile(path.join(directory, file), text);
    await utimes(path.join(directory, file), past, past);
  }
}

function tenantAgents(options: { maxCached?: number; maxCachedBytes?: number; maxTenants?: number } = {}) {
  return new TenantAgents({
    agentsDir: path.join(root, "agents"),
    dataDir: path.join(root, ".pluto"),
    providerNames: [],
    ...options,
  });
}

describe("TenantAgents", () => {
  it("shares one cache budget across every tenant", async () => {
    const agents = tenantAgents({ maxCached: 10 });
    for (const tenant of ["default", "acme", "globex"]) {
      for (let index = 0; index < 8; index += 1) await writeAgent(agents.directoryOf(tenant), `a${index}`);
    }
    for (const tenant of ["default", "acme", "globex"]) {
      for (let index = 0; index < 8; index += 1) await agents.get(`a${index}`, tenant);
    }
    expect(agents.cache.stats()).toMatchObject({ entries: 10, evictions: 14 });
    expect(agents.cache.keys().slice(-8)).toEqual(
      Array.from({ length: 8 }, (_, index) => path.join(agents.directoryOf("globex"), `a${index}`)),
    );
  });

  it("keeps each tenant to its own folder", async () => {
    const agents = tenantAgents();
    await writeAgent(agents.directoryOf("acme"), "secret");
    expect((await agents.get("secret", "acme")).name).toBe("secret");
    const error = await agents.get("secret", "globex").catch((caught: unknown) => caught);
    expect(isPlutoError(error, "AGENT_NOT_FOUND")).toBe(true);
    expect(await agents.list("globex")).toEqual([]);
    for (const tenant of ["../acme", "a/b", "", "a\0b"]) {
      expect(() => agents.catalog(tenant), tenant).toThrow(/tenant/i);
    }
  });

  it("lists with or without paging", async () => {
    const agents = tenantAgents();
    for (const name of ["c", "a", "b"]) await writeAgent(agents.directoryOf("acme"), name);
    expect((await agents.list("acme")).map((agent) => agent.name)).toEqual(["a", "b", "c"]);
    const page = await agents.list("acme", { offset: 1, limit: 1 });
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.agents.map(({ name, valid, checked }) => ({ name, valid, checked }))).toEqual([
      { name: "b", valid: true, checked: true },
    ]);
    expect((await agents.list(undefined, { limit: 5 })).total).toBe(0);
  });

  it("invalidate drops a tenant's cached agent, also after its catalog left the tenant LRU", async () => {
    const agents = tenantAgents({ maxTenants: 1 });
    await writeAgent(agents.directoryOf("acme"), "writer");
    await writeAgent(agents.directoryOf("globex"), "writer");
    const acme = await agents.get("writer", "acme");
    expect(await agents.get("writer", "acme")).toBe(acme);
    await agents.get("writer", "globex"); // pushes acme's catalog out of the tenant LRU; its agent stays cached
    expect(agents.cache.stats().entries).toBe(2);
    agents.invalidate("acme", "writer");
    expect(agents.cache.stats().entries).toBe(1);
    expect(await agents.get("writer", "acme")).not.toBe(acme);

    const globex = await agents.get("writer", "globex");
    agents.invalidate("globex");
    expect(await agents.get("writer", "globex")).not.toBe(globex);
    expect(() => agents.invalidate("../acme", "writer")).toThrow(/tenant/i);
    expect(() => agents.invalidate("acme", "../writer")).toThrow(/agent/i);
  });

  it("a change through the admin API (write + invalidate) is seen by the next get", async () => {
    const agents = tenantAgents();
    const folder = agents.directoryOf("acme");
    await writeAgent(folder, "writer", "Version one.");
    expect((await agents.get("writer", "acme")).systemPrompt).toBe("Version one.");
    // What the admin API does after replacing an agent's files.
    await writeAgent(folder, "writer", "Version two.");
    agents.invalidate("acme", "writer");
    expect((await agents.get("writer", "acme")).systemPrompt).toBe("Version two.");
  });
});

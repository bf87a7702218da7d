import { mkdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentCatalog } from "../../src/agents/agent-catalog.js";
import { isPlutoError, type PlutoError } from "../../src/core/errors.js";
import { type AgentSandbox, createAgentSandbox, VALID_AGENT_YAML, withPrompts } from "./agent-fixture.js";

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

const yamlFor = (name: string, extra = "") =>
  `${VALID_AGENT_YAML.replace("name: bot", `name: ${name}\n  description: The ${name} agent`)}${extra}`;

/** Moves the mtime of every file of an agent into the past, as if it had been written a while ago. */
async function age(
  directory: string,
  files = ["agent.yaml", "SYSTEM_PROMPT.md", "INSTRUCTIONS.md"],
): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const file of files) await utimes(path.join(directory, file), past, past);
}

async function caught(promise: Promise<unknown>): Promise<PlutoError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isPlutoError(error)) throw new Error(`expected a PlutoError, got ${String(error)}`);
  return error;
}

describe("AgentCatalog", () => {
  it("lists agents with validity, skipping folders without agent.yaml and unsafe names", async () => {
    await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    await sandbox.agent(withPrompts(yamlFor("beta").replace("pluto/v1", "pluto/v9")), "beta");
    await sandbox.agent({ "README.md": "not an agent" }, "shared");
    await sandbox.agent(withPrompts(yamlFor(".hidden")), ".hidden");
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    const list = await catalog.list();
    expect(list.map(({ name, description, valid }) => ({ name, description, valid }))).toEqual([
      { name: "alpha", description: "The alpha agent", valid: true },
      { name: "beta", description: "", valid: false },
    ]);
    expect(list[1]?.diagnostics[0]?.path).toBe("apiVersion");
  });

  it("a missing agents folder lists nothing", async () => {
    const catalog = new AgentCatalog({ agentsDir: path.join(sandbox.root, "none"), providerNames: [] });
    expect(await catalog.list()).toEqual([]);
  });

  it("get returns the agent and serves it from the cache while files are unchanged", async () => {
    const directory = await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    await age(directory);
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    const first = await catalog.get("alpha");
    expect(first.name).toBe("alpha");
    expect(await catalog.get("alpha")).toBe(first);
  });

  it("reloads when agent.yaml or a Markdown file changes", async () => {
    const directory = await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    await age(directory);
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    const first = await catalog.get("alpha");

    await writeFile(path.join(directory, "SYSTEM_PROMPT.md"), "You are Alpha, version two.");
    await age(directory);
    const second = await catalog.get("alpha");
    expect(second).not.toBe(first);
    expect(second.systemPrompt).toBe("You are Alpha, version two.");

    await writeFile(path.join(directory, "agent.yaml"), yamlFor("alpha", "  limits: { max_steps: 3 }\n"));
    await age(directory);
    expect((await catalog.get("alpha")).limits.maxSteps).toBe(3);
  });

  it("reloads when a skill appears", async () => {
    const directory = await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    await age(directory);
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    expect((await catalog.get("alpha")).skills).toEqual([]);
    await mkdir(path.join(directory, "skills/new-skill"), { recursive: true });
    await writeFile(
      path.join(directory, "skills/new-skill/SKILL.md"),
      "---\nname: new-skill\ndescription: New.\n---\n",
    );
    expect((await catalog.get("alpha")).skills.map((skill) => skill.name)).toEqual(["new-skill"]);
  });

  it("a file written moments before a load is re-checked on the next get", async () => {
    await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    const first = await catalog.get("alpha");
    expect(await catalog.get("alpha")).not.toBe(first);
  });

  it("an agent that becomes invalid throws AGENT_INVALID with diagnostics, and recovers when fixed", async () => {
    const directory = await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    await catalog.get("alpha");
    await writeFile(path.join(directory, "agent.yaml"), yamlFor("alpha", "  limits: { max_steps: 0 }\n"));
    const error = await caught(catalog.get("alpha"));
    expect(error.code).toBe("AGENT_INVALID");
    expect(error.message).toContain("spec.limits.max_steps");
    expect((error.details as { diagnostics: unknown[] }).diagnostics).toHaveLength(1);
    await writeFile(path.join(directory, "agent.yaml"), yamlFor("alpha"));
    expect((await catalog.get("alpha")).limits.maxSteps).toBe(20);
  });

  it("an unknown agent throws AGENT_NOT_FOUND listing the agents that exist", async () => {
    await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    await sandbox.agent(withPrompts(yamlFor("beta")), "beta");
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    const error = await caught(catalog.get("gamma"));
    expect(error.code).toBe("AGENT_NOT_FOUND");
    expect(error.details).toEqual({ agent: "gamma", available: ["alpha", "beta"] });
    expect(error.message).toContain("Available agents: alpha, beta");
  });

  it("hostile names never reach the filesystem", async () => {
    await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha");
    const catalog = new AgentCatalog({ agentsDir: path.join(sandbox.root, "alpha"), providerNames: [] });
    for (const name of ["../alpha", "..", ".", "/etc", "a/b", "a\0b", "", "x".repeat(200), "..\\alpha"]) {
      const error = await caught(catalog.get(name));
      expect(error.code, name).toBe("INVALID_NAME");
    }
  });

  it("uses the provider names it was given", async () => {
    await sandbox.agent(withPrompts(yamlFor("alpha").replace("openai/gpt-5-mini", "corp/m1")), "alpha");
    expect(
      (await new AgentCatalog({ agentsDir: sandbox.root, providerNames: ["corp"] }).get("alpha")).model,
    ).toBe("corp/m1");
    const error = await caught(new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] }).get("alpha"));
    expect(error.code).toBe("AGENT_INVALID");
  });

  it("keeps at most maxCached agents", async () => {
    for (const name of ["a1", "a2", "a3"]) await age(await sandbox.agent(withPrompts(yamlFor(name)), name));
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [], maxCached: 2 });
    const a1 = await catalog.get("a1");
    await catalog.get("a2");
    expect(await catalog.get("a1")).toBe(a1);
    await catalog.get("a3"); // evicts a2, the least recently used
    const a2again = await catalog.get("a2");
    expect(a2again.name).toBe("a2"); // evicts a1
    expect(await catalog.get("a1")).not.toBe(a1);
  });

  it("concurrent gets share one load", async () => {
    await age(await sandbox.agent(withPrompts(yamlFor("alpha")), "alpha"));
    const catalog = new AgentCatalog({ agentsDir: sandbox.root, providerNames: [] });
    const [one, two] = await Promise.all([catalog.get("alpha"), catalog.get("alpha")]);
    expect(one).toBe(two);
  });
});

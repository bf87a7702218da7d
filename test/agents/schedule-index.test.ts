import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TenantAgents } from "../../src/agents/tenant-agents.js";
import { InMemoryJobStore } from "../../src/jobs/in-memory-job-store.js";
import { Scheduler } from "../../src/jobs/scheduler.js";

function agentYaml(name: string, schedules: string): string {
  return `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model: openai/gpt-5-mini\n${schedules}`;
}
const HOURLY = "  schedules:\n    - { name: hourly, every: 1h, input: hello }\n";

describe("scheduled agents of a large folder", () => {
  let dir: string;
  let agentsDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pluto-schedule-index-"));
    agentsDir = join(dir, "agents");
    // More than the catalog validates on a plain listing (256), as in a real large folder.
    for (let index = 0; index < 300; index++) {
      const name = `agent-${String(index).padStart(3, "0")}`;
      await mkdir(join(agentsDir, name), { recursive: true });
      await writeFile(join(agentsDir, name, "agent.yaml"), agentYaml(name, index % 150 === 7 ? HOURLY : ""));
      await writeFile(join(agentsDir, name, "SYSTEM_PROMPT.md"), "You help.\n");
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("names only agents whose agent.yaml mentions schedules, loading none of them, and sees edits", async () => {
    const agents = new TenantAgents({ agentsDir, dataDir: join(dir, "data"), providerNames: [] });
    expect(await agents.scheduledAgentNames()).toEqual(["agent-007", "agent-157"]);
    expect(agents.cache.stats().entries).toBe(0);
    await writeFile(join(agentsDir, "agent-200", "agent.yaml"), agentYaml("agent-200", HOURLY));
    await writeFile(join(agentsDir, "agent-007", "agent.yaml"), agentYaml("agent-007", ""));
    expect(await agents.scheduledAgentNames()).toEqual(["agent-157", "agent-200"]);
  });

  it("a scheduler tick loads only those agents and leaves the agent cache to the runs", async () => {
    const agents = new TenantAgents({ agentsDir, dataDir: join(dir, "data"), providerNames: [] });
    const loaded: string[] = [];
    const store = new InMemoryJobStore();
    const scheduler = new Scheduler({
      store,
      agents: {
        list: () => agents.list(),
        get: (name) => {
          loaded.push(name);
          return agents.get(name);
        },
        scheduled: () => agents.scheduledAgentNames(),
      },
    });
    await scheduler.tick();
    expect(loaded).toEqual(["agent-007", "agent-157"]);
    expect(agents.cache.stats()).toMatchObject({ entries: 2, evictions: 0 });
  });
});

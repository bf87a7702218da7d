// Cost of one scheduler tick over a large agents folder (none, or a few, with schedules), and what it
// does to the agent cache: `node bench/scheduler-tick.js [AGENTS] [SCHEDULED]` (uses dist/; run `npm run build`).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TenantAgents } from "../dist/agents/tenant-agents.js";
import { InMemoryJobStore } from "../dist/jobs/in-memory-job-store.js";
import { Scheduler } from "../dist/jobs/scheduler.js";

const total = Number(process.argv[2] ?? 2000);
const scheduledCount = Number(process.argv[3] ?? 2);
const dir = await mkdtemp(join(tmpdir(), "pluto-bench-sched-"));
try {
  const agentsDir = join(dir, "agents");
  for (let index = 0; index < total; index++) {
    const name = `agent-${String(index).padStart(5, "0")}`;
    await mkdir(join(agentsDir, name), { recursive: true });
    const schedules =
      index < scheduledCount ? `  schedules:\n    - { name: tick, every: 1h, input: "hello" }\n` : "";
    await writeFile(
      join(agentsDir, name, "agent.yaml"),
      `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model: openai/gpt-5-mini\n${schedules}`,
    );
    await writeFile(join(agentsDir, name, "SYSTEM_PROMPT.md"), "You help.\n");
  }
  /** Five ticks of a fresh scheduler over a fresh catalog; `scheduled` picks the lookup. */
  const measure = async (label, scheduled, discoverMs) => {
    const agents = new TenantAgents({ agentsDir, dataDir: join(dir, "data"), providerNames: [] });
    const scheduler = new Scheduler({
      store: new InMemoryJobStore(),
      discoverMs,
      agents: {
        list: () => agents.list(),
        get: (name) => agents.get(name),
        ...(scheduled ? { scheduled: () => agents.scheduledAgentNames() } : {}),
      },
    });
    const times = [];
    for (let round = 0; round < 5; round++) {
      const started = process.hrtime.bigint();
      await scheduler.tick();
      times.push(Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10);
    }
    const { entries, evictions } = agents.cache.stats();
    console.log(
      JSON.stringify({
        label,
        agents: total,
        scheduled: scheduledCount,
        tick_ms: times,
        cache_entries: entries,
        cache_evictions: evictions,
      }),
    );
  };
  // Baseline: every tick loads every agent (the scheduler without `agents.scheduled`).
  await measure("load every agent", false, 5000);
  // Candidates looked up again every 5 s: the ticks in between only load the scheduled agents.
  await measure("scheduled candidates", true, 5000);
  // Candidates looked up on every tick (stat of every agent.yaml, files read only when changed).
  await measure("scheduled candidates, rediscover every tick", true, 0);
} finally {
  await rm(dir, { recursive: true, force: true });
}

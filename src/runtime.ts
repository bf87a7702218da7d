import { readFileSync } from "node:fs";
import path from "node:path";
import type { AgentDefinition } from "./agents/agent-definition.js";
import { agentTrust } from "./agents/agent-trust.js";
import { TenantAgents } from "./agents/tenant-agents.js";
import { loadConfig } from "./config/load-config.js";
import type { PlutoConfig } from "./config/pluto-config.js";
import type { Scope } from "./core/scope.js";
import type { JobStore } from "./jobs/job-store.js";
import { JobWorkerPool } from "./jobs/job-worker-pool.js";
import { Scheduler } from "./jobs/scheduler.js";
import { WakingJobStore } from "./jobs/waking-job-store.js";
import { createModelRegistry } from "./llm/providers.js";
import { createStreamStep } from "./llm/stream-step.js";
import { RunManager } from "./runs/run-manager.js";
import { buildState } from "./runtime/build-state.js";
import type { RuntimeLog } from "./runtime/runtime-log.js";
import type { AgentStore } from "./services/agents/agent-store.js";
import type { ArtifactStore } from "./services/artifact/artifact-store.js";
import type { ApiKeyStore } from "./services/auth/api-key-store.js";
import type { EventFanout } from "./services/coordination/coordination.js";
import type { MemoryStore } from "./services/memory/memory-store.js";
import type { SessionStore } from "./services/session/session-store.js";
import type { TaskStore } from "./services/task/task-store.js";
import { McpPool } from "./tools/mcp/mcp-pool.js";
import { createMcpServerPolicy, type McpServerPolicy } from "./tools/mcp/mcp-server-policy.js";
import { createToolset } from "./tools/toolset.js";

const PLUTO_VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export type { RuntimeLog } from "./runtime/runtime-log.js";

/** Options for {@link createRuntime}. */
export interface RuntimeOptions {
  /** Directory that holds `pluto.yaml` / `.pluto/`. @default process.cwd() */
  cwd?: string;
  /** Explicit config file (`--config`). */
  configFile?: string;
  /** Environment for `${VAR}` interpolation and provider keys. @default process.env */
  env?: Record<string, string | undefined>;
  log?: RuntimeLog;
}

/** The object graph of one Pluto process. */
export interface Runtime {
  config: PlutoConfig;
  agents: TenantAgents;
  /**
   * Agent definitions in PostgreSQL when `services.agents.backend` is `postgres` (the admin API writes
   * there; `agents` then loads local copies under `<data_dir>/agents-cache`); absent: the agents folders.
   */
  agentStore?: AgentStore;
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  tasks: TaskStore;
  apiKeys: ApiKeyStore;
  bus: EventFanout;
  runs: RunManager;
  /** Durable jobs (`services.jobs`). */
  jobs: JobStore;
  /**
   * This process's job workers (`jobs` in pluto.yaml), built but not started: `pluto serve` and
   * `pluto worker` call `start()` when `jobs.concurrency` is above 0; `close` stops them first.
   */
  jobWorkers: JobWorkerPool;
  /** The MCP rules for tenant-trust agents (docs/security.md); the admin API applies them at write time. */
  mcpPolicy: McpServerPolicy;
  /** Stops MCP servers, then closes stores, pools and connections. */
  close(): Promise<void>;
}

/**
 * The one composition root (DESIGN.md, layers): reads `pluto.yaml`, builds the state services its
 * `services` section names (`runtime/build-state.ts`), the agent catalogs, the provider registry, the
 * MCP pool and the run manager. Nothing else constructs these objects.
 * @throws PlutoError `CONFIG_INVALID` for a bad config file; `BACKEND_UNAVAILABLE` when a configured server is down.
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const log: RuntimeLog = options.log ?? (() => {});
  const config = await loadConfig({
    cwd: options.cwd ?? process.cwd(),
    env,
    ...(options.configFile === undefined ? {} : { file: options.configFile }),
  });
  const state = await buildState(config, log);
  const { sessions, memory, artifacts, bus } = state;
  const agentStore = state.agentStore;
  const agents = new TenantAgents({
    agentsDir: config.agentsDir,
    dataDir: config.dataDir,
    providerNames: Object.keys(config.providers),
    ...(agentStore === undefined
      ? {}
      : {
          source: new (await import("./services/agents/agent-folder-sync.js")).AgentFolderSync({
            store: agentStore,
            cacheDir: path.join(config.dataDir, "agents-cache"),
            log,
          }),
        }),
  });
  const registry = createModelRegistry({ providers: config.providers, env });
  const mcpPolicy = createMcpServerPolicy(config);
  const mcp = new McpPool({
    clientInfo: { name: "pluto", version: PLUTO_VERSION },
    policy: mcpPolicy,
    log: (message, level) =>
      log(level, level === "error" ? `${message} Runs continue without this server's tools.` : message),
  });

  const runs = new RunManager({
    agents,
    sessions,
    memory,
    artifacts,
    bus,
    ...(state.leases === undefined ? {} : { leases: state.leases }),
    ...(state.leaseTtlMs === undefined ? {} : { leaseTtlMs: state.leaseTtlMs }),
    storeTimeoutMs: state.storeTimeoutMs,
    policyDefault: config.policy.default,
    streamStepFor: (agent: AgentDefinition) =>
      createStreamStep({ registry, models: [agent.model, ...agent.fallbackModels], retry: config.retry }),
    toolsFor: async (agent: AgentDefinition, scope: Scope) => {
      // Trust matters only for MCP servers; agents without any skip the marker lookup.
      const trust =
        agent.tools.mcpServers.length === 0
          ? "tenant"
          : await agentTrust({
              tenant: scope.tenant,
              directory: agent.directory,
              fromStore: agentStore !== undefined,
            });
      const connected = await mcp.connect(agent, { tenant: scope.tenant, trust });
      const toolset = createToolset({ agent, scope, memory, artifacts, mcp: connected });
      return { tools: toolset.tools, specs: toolset.specs };
    },
  });

  const jobWorkers = new JobWorkerPool({
    store: state.jobs,
    runs,
    concurrency: config.jobs.concurrency,
    pollIntervalMs: config.jobs.pollIntervalMs,
    leaseMs: config.jobs.leaseMs,
    scheduler: new Scheduler({
      store: state.jobs,
      agents: {
        list: () => agents.list(),
        get: (name) => agents.get(name),
        scheduled: () => agents.scheduledAgentNames(),
      },
      log,
    }),
    log,
  });

  return {
    config,
    agents,
    ...(agentStore === undefined ? {} : { agentStore }),
    sessions,
    memory,
    artifacts,
    tasks: state.tasks,
    apiKeys: state.apiKeys,
    bus,
    runs,
    // Jobs queued through this runtime (routes, CLI) wake its idle workers at once.
    jobs: new WakingJobStore(state.jobs, () => jobWorkers.wake()),
    jobWorkers,
    mcpPolicy,
    async close() {
      await jobWorkers.stop();
      await mcp.close();
      await state.close();
    },
  };
}

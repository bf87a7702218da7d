import { readFileSync } from "node:fs";
import type { AgentDefinition } from "./agents/agent-definition.js";
import { TenantAgents } from "./agents/tenant-agents.js";
import { loadConfig } from "./config/load-config.js";
import type { PlutoConfig } from "./config/pluto-config.js";
import { PlutoError } from "./core/errors.js";
import type { Scope } from "./core/scope.js";
import { createModelRegistry } from "./llm/providers.js";
import { createStreamStep } from "./llm/stream-step.js";
import { EventBus } from "./runs/event-bus.js";
import { RunManager } from "./runs/run-manager.js";
import type { ArtifactStore } from "./services/artifact/artifact-store.js";
import { FsArtifactStore } from "./services/artifact/fs-artifact-store.js";
import { InMemoryArtifactStore } from "./services/artifact/in-memory-artifact-store.js";
import { FsMemoryStore } from "./services/memory/fs-memory-store.js";
import { InMemoryMemoryStore } from "./services/memory/in-memory-memory-store.js";
import type { MemoryStore } from "./services/memory/memory-store.js";
import { FsSessionStore } from "./services/session/fs-session-store.js";
import { InMemorySessionStore } from "./services/session/in-memory-session-store.js";
import type { SessionStore } from "./services/session/session-store.js";
import { McpPool } from "./tools/mcp/mcp-pool.js";
import { createToolset } from "./tools/toolset.js";

const PLUTO_VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Where runtime diagnostics go (stderr in the CLI). */
export type RuntimeLog = (level: "info" | "warn" | "error", message: string) => void;

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

/** The object graph of one Pluto process in simple mode. */
export interface Runtime {
  config: PlutoConfig;
  agents: TenantAgents;
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  bus: EventBus;
  runs: RunManager;
  /** Stops MCP servers and flushes the stores. */
  close(): Promise<void>;
}

/**
 * The one composition root (DESIGN.md, layers): reads `pluto.yaml`, builds the stores its services name,
 * the agent catalog, the provider registry, the MCP pool and the run manager. Nothing else constructs
 * these objects. @throws PlutoError `CONFIG_INVALID` for a bad config file.
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const log: RuntimeLog = options.log ?? (() => {});
  const config = await loadConfig({
    cwd: options.cwd ?? process.cwd(),
    env,
    ...(options.configFile === undefined ? {} : { file: options.configFile }),
  });
  const sessions = createSessionStore(config);
  const memory = createMemoryStore(config);
  const artifacts = createArtifactStore(config);
  const agents = new TenantAgents({
    agentsDir: config.agentsDir,
    dataDir: config.dataDir,
    providerNames: Object.keys(config.providers),
  });
  const registry = createModelRegistry({ providers: config.providers, env });
  const mcp = new McpPool({
    clientInfo: { name: "pluto", version: PLUTO_VERSION },
    log: (message, level) =>
      log(level, level === "error" ? `${message} Runs continue without this server's tools.` : message),
  });
  const bus = new EventBus();

  const runs = new RunManager({
    agents,
    sessions,
    memory,
    artifacts,
    bus,
    streamStepFor: (agent: AgentDefinition) =>
      createStreamStep({ registry, models: [agent.model, ...agent.fallbackModels], retry: config.retry }),
    toolsFor: async (agent: AgentDefinition, scope: Scope) => {
      const connected = await mcp.connect(agent);
      const toolset = createToolset({ agent, scope, memory, artifacts, mcp: connected });
      return { tools: toolset.tools, specs: toolset.specs };
    },
  });

  return {
    config,
    agents,
    sessions,
    memory,
    artifacts,
    bus,
    runs,
    async close() {
      await mcp.close();
      await Promise.all([sessions.close?.(), memory.close?.(), artifacts.close?.()]);
    },
  };
}

function createSessionStore(config: PlutoConfig): SessionStore {
  const service = config.services.session;
  switch (service.backend) {
    case "memory":
      return new InMemorySessionStore();
    case "filesystem":
      return new FsSessionStore({ dataDir: config.dataDir, fsync: service.fsync });
    default:
      throw notWired(`services.session.backend: ${service.backend}`);
  }
}

function createMemoryStore(config: PlutoConfig): MemoryStore {
  const service = config.services.memory;
  switch (service.backend) {
    case "memory":
      return new InMemoryMemoryStore();
    case "filesystem":
      return new FsMemoryStore({ dataDir: config.dataDir });
    default:
      throw notWired(`services.memory.backend: ${service.backend}`);
  }
}

function createArtifactStore(config: PlutoConfig): ArtifactStore {
  const service = config.services.artifacts;
  switch (service.backend) {
    case "memory":
      return new InMemoryArtifactStore();
    case "filesystem":
      return new FsArtifactStore({ dataDir: config.dataDir });
    default:
      throw notWired(`services.artifacts.backend: ${service.backend}`);
  }
}

function notWired(setting: string): PlutoError {
  return new PlutoError("CONFIG_INVALID", `${setting} is not available in this build yet.`);
}

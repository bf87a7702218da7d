import type { AgentDefinition } from "../../src/agents/agent-definition.js";
import { PlutoError } from "../../src/core/errors.js";
import type { SessionEvent } from "../../src/core/events.js";
import type { ModelStepRequest, StreamStep } from "../../src/llm/model-step.js";
import { EventBus } from "../../src/runs/event-bus.js";
import { RunManager, type RunTools } from "../../src/runs/run-manager.js";
import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import type { SessionStore } from "../../src/services/session/session-store.js";
import type { Tool } from "../../src/tools/tool.js";
import { agentFixture } from "../support/agent-fixture.js";

/** A fake agent catalog over fixed definitions; records every name it was asked for. */
export interface FakeCatalog {
  get(name: string): Promise<AgentDefinition>;
  list(): Promise<{ name: string; description: string; valid: boolean }[]>;
  /** Names passed to `get`, in order. */
  requested: string[];
}

/** Builds a {@link FakeCatalog}; unknown names reject with `AGENT_NOT_FOUND`, as the real catalog does. */
export function fakeCatalog(agents: AgentDefinition[]): FakeCatalog {
  const byName = new Map(agents.map((agent) => [agent.name, agent]));
  const requested: string[] = [];
  return {
    requested,
    async get(name) {
      requested.push(name);
      const agent = byName.get(name);
      if (agent === undefined) {
        throw new PlutoError(
          "AGENT_NOT_FOUND",
          `No agent named ${JSON.stringify(name)}. Create agents/${name}/agent.yaml.`,
          {
            details: { agent: name },
          },
        );
      }
      return agent;
    },
    async list() {
      return agents.map((agent) => ({ name: agent.name, description: agent.description, valid: true }));
    },
  };
}

/** The text of the last user message of a request (how routing step scripts tell runs apart). */
export function lastUserText(request: ModelStepRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index];
    if (message?.role === "user") return message.text;
  }
  return "";
}

/** Options of {@link createRunHarness}. */
export interface RunHarnessOptions {
  agents?: AgentDefinition[];
  /** The model seam used for every agent. */
  streamStep: StreamStep;
  tools?: Tool[];
  sessions?: SessionStore;
  toolsFor?: (agent: AgentDefinition) => Promise<RunTools>;
  now?: () => Date;
}

/** A {@link RunManager} over in-memory stores, a fake catalog and a scripted model. */
export function createRunHarness(options: RunHarnessOptions) {
  const agents = options.agents ?? [agentFixture()];
  const catalog = fakeCatalog(agents);
  const sessions = options.sessions ?? new InMemorySessionStore();
  const memory = new InMemoryMemoryStore();
  const artifacts = new InMemoryArtifactStore();
  const bus = new EventBus();
  const tools = options.tools ?? [];
  const streamStepFor: AgentDefinition[] = [];
  const runs = new RunManager({
    agents: catalog,
    sessions,
    memory,
    artifacts,
    bus,
    streamStepFor: (agent) => {
      streamStepFor.push(agent);
      return options.streamStep;
    },
    toolsFor:
      options.toolsFor ??
      (async () => ({
        tools: new Map(tools.map((tool) => [tool.name, tool])),
        specs: tools.map((tool) => ({
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
        })),
      })),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { runs, catalog, sessions, memory, artifacts, bus, streamStepFor };
}

/** Run ids of a log with consecutive duplicates collapsed: `[a, b]` means all of a, then all of b. */
export function runBlocks(events: readonly SessionEvent[]): string[] {
  const blocks: string[] = [];
  for (const event of events) if (blocks.at(-1) !== event.runId) blocks.push(event.runId);
  return blocks;
}

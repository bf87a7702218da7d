import {
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
  RestTransportFactory,
} from "@a2a-js/sdk/client";
import type { AgentDefinition } from "../../../src/agents/agent-definition.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { EventBus } from "../../../src/runs/event-bus.js";
import { RunManager } from "../../../src/runs/run-manager.js";
import { createApp } from "../../../src/server/app.js";
import { type RunningServer, startServer } from "../../../src/server/start-server.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryMemoryStore } from "../../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import type { SessionStore } from "../../../src/services/session/session-store.js";
import { InMemoryTaskStore } from "../../../src/services/task/in-memory-task-store.js";
import type { TaskStore } from "../../../src/services/task/task-store.js";
import { fakeCatalog } from "../../runs/run-harness.js";
import { agentFixture } from "../../support/agent-fixture.js";

/** State two app instances can share, as workers share PostgreSQL and Redis. */
export interface SharedState {
  sessions: SessionStore;
  tasks: TaskStore;
  /** Event fan-out (Redis in complex mode; one in-process bus stands in for it here). */
  bus: EventBus;
}

/** Fresh in-memory shared state. */
export function sharedState(): SharedState {
  return { sessions: new InMemorySessionStore(), tasks: new InMemoryTaskStore(), bus: new EventBus() };
}

/** Options of {@link startA2aApp}. */
export interface A2aAppOptions {
  streamStep: StreamStep;
  agents?: AgentDefinition[];
  shared?: SharedState;
  maxBodyBytes?: number;
}

/**
 * The real app (`createApp`) over its own RunManager (scripted model, in-memory memory and artifacts)
 * and the given shared sessions, tasks and fan-out, listening on 127.0.0.1 with a free port.
 */
export async function startA2aApp(options: A2aAppOptions) {
  const shared = options.shared ?? sharedState();
  const catalog = fakeCatalog(options.agents ?? [agentFixture()]);
  const runs = new RunManager({
    agents: catalog,
    sessions: shared.sessions,
    memory: new InMemoryMemoryStore(),
    artifacts: new InMemoryArtifactStore(),
    bus: shared.bus,
    streamStepFor: () => options.streamStep,
    toolsFor: async () => ({ tools: new Map(), specs: [] }),
  });
  const unexpected: unknown[] = [];
  const app = createApp({
    agents: catalog,
    runs,
    sessions: shared.sessions,
    tasks: shared.tasks,
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  const server: RunningServer = await startServer(app, { host: "127.0.0.1", port: 0 });
  return { app, runs, server, url: server.url, shared, unexpected, close: () => server.close() };
}

/** An SDK client for one agent, created from its card with only the given transport. */
export async function sdkClient(baseUrl: string, agent: string, transport: "JSONRPC" | "HTTP+JSON") {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [transport === "JSONRPC" ? new JsonRpcTransportFactory() : new RestTransportFactory()],
      preferredTransports: [transport],
    }),
  );
  return factory.createFromUrl(baseUrl, `/a2a/${agent}/.well-known/agent-card.json`);
}

/** Parses an SSE body in the SDK's framing into `{ event, data }` frames. */
export function sseFrames(body: string): { event: string | undefined; data: unknown }[] {
  return body
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else throw new Error(`Unexpected SSE line ${JSON.stringify(line)}`);
      }
      return { event, data: JSON.parse(data.join("\n")) as unknown };
    });
}

/** POSTs JSON and returns the response. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

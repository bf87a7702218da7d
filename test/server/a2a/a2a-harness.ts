import { type Message, Role, type SendMessageRequest, type Task } from "@a2a-js/sdk";
import {
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
  RestTransportFactory,
} from "@a2a-js/sdk/client";
import { expect } from "vitest";
import type { AgentDefinition } from "../../../src/agents/agent-definition.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { EventBus } from "../../../src/runs/event-bus.js";
import { RunManager } from "../../../src/runs/run-manager.js";
import { createApp } from "../../../src/server/app.js";
import { type RunningServer, startServer } from "../../../src/server/start-server.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import type { ApiKeyStore } from "../../../src/services/auth/api-key-store.js";
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
  /** Tenant API keys: every A2A call then needs `Authorization: Bearer <key>`. */
  apiKeys?: ApiKeyStore;
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
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  const server: RunningServer = await startServer(app, { host: "127.0.0.1", port: 0 });
  return { app, runs, server, url: server.url, shared, unexpected, close: () => server.close() };
}

/** An SDK client for one agent, created from its card with only the given transport. */
export async function sdkClient(
  baseUrl: string,
  agent: string,
  transport: "JSONRPC" | "HTTP+JSON",
  token?: string,
) {
  const fetchImpl: typeof fetch =
    token === undefined
      ? fetch
      : (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set("authorization", `Bearer ${token}`);
          return fetch(input, { ...init, headers });
        };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [
        transport === "JSONRPC"
          ? new JsonRpcTransportFactory({ fetchImpl })
          : new RestTransportFactory({ fetchImpl }),
      ],
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

/** A v1.0 user message (the SDK's `Message` shape) with one text part. */
export function userMessage(
  text: string,
  ids: { messageId?: string; taskId?: string; contextId?: string } = {},
): Message {
  return {
    messageId: ids.messageId ?? `msg-${Math.random().toString(36).slice(2)}`,
    contextId: ids.contextId ?? "",
    taskId: ids.taskId ?? "",
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" },
    ],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A `SendMessageRequest` for the SDK client. */
export function sendRequest(message: Message): SendMessageRequest {
  return { tenant: "", message, configuration: undefined, metadata: undefined };
}

/** The concatenated text of a task's artifacts. */
export function artifactText(task: Task): string {
  return task.artifacts
    .flatMap((artifact) => artifact.parts)
    .map((part) => (part.content?.$case === "text" ? part.content.value : ""))
    .join("");
}

/**
 * Asserts that `actual` has every key of the corpus `sample` (recursively, arrays by their first
 * element) with the same JSON type; keys in `skip` (optional fields) and `metadata` are not required.
 */
export function expectSameShape(
  actual: unknown,
  sample: unknown,
  skip: ReadonlySet<string> = new Set(),
  where = "$",
): void {
  if (Array.isArray(sample)) {
    expect(Array.isArray(actual), where).toBe(true);
    if (sample.length > 0 && Array.isArray(actual) && actual.length > 0) {
      expectSameShape(actual[0], sample[0], skip, `${where}[0]`);
    }
    return;
  }
  if (typeof sample === "object" && sample !== null) {
    expect(typeof actual, where).toBe("object");
    for (const [key, value] of Object.entries(sample)) {
      if (key === "metadata" || skip.has(key)) continue;
      expect(actual, `${where} lacks ${key}`).toHaveProperty(key);
      expectSameShape((actual as Record<string, unknown>)[key], value, skip, `${where}.${key}`);
    }
    return;
  }
  expect(typeof actual, where).toBe(typeof sample);
}

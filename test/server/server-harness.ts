import type { AgentDefinition } from "../../src/agents/agent-definition.js";
import type { StreamStep } from "../../src/llm/model-step.js";
import type { RunTools } from "../../src/runs/run-manager.js";
import { createApp } from "../../src/server/app.js";
import type { SessionStore } from "../../src/services/session/session-store.js";
import type { Tool } from "../../src/tools/tool.js";
import { createRunHarness } from "../runs/run-harness.js";

/** Options of {@link createServerHarness}. */
export interface ServerHarnessOptions {
  streamStep: StreamStep;
  agents?: AgentDefinition[];
  tools?: Tool[];
  sessions?: SessionStore;
  toolsFor?: (agent: AgentDefinition) => Promise<RunTools>;
  authToken?: string;
  /** @default 16384 */
  maxBodyBytes?: number;
  ready?: () => boolean;
}

/** `createApp` over a real RunManager, in-memory stores, a fake catalog and a scripted model. */
export function createServerHarness(options: ServerHarnessOptions) {
  const harness = createRunHarness({
    streamStep: options.streamStep,
    ...(options.agents === undefined ? {} : { agents: options.agents }),
    ...(options.tools === undefined ? {} : { tools: options.tools }),
    ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
    ...(options.toolsFor === undefined ? {} : { toolsFor: options.toolsFor }),
  });
  const unexpected: unknown[] = [];
  const app = createApp({
    agents: harness.catalog,
    runs: harness.runs,
    sessions: harness.sessions,
    maxBodyBytes: options.maxBodyBytes ?? 16_384,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ready: options.ready ?? (() => true),
    onUnexpectedError: (error) => unexpected.push(error),
  });
  return { ...harness, app, unexpected };
}

/** One parsed SSE frame. */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
  /** The frame's lines as sent, for exact-format assertions. */
  lines: string[];
}

/**
 * Parses an SSE body (WHATWG "server-sent events" framing: fields `name: value`, frames separated by a
 * blank line). Fails on a trailing partial frame so a stream cut mid-frame is caught.
 */
export function parseSse(body: string): SseFrame[] {
  if (body === "") return [];
  if (!body.endsWith("\n\n"))
    throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(body.slice(-80))}`);
  return body
    .slice(0, -2)
    .split("\n\n")
    .map((block) => {
      const lines = block.split("\n");
      const frame: SseFrame = { data: "", lines };
      const data: string[] = [];
      for (const line of lines) {
        const match = /^([a-z]+): ?(.*)$/.exec(line);
        if (match === null) throw new Error(`Malformed SSE line ${JSON.stringify(line)}`);
        const [, field, value = ""] = match;
        if (field === "data") data.push(value);
        else if (field === "id") frame.id = value;
        else if (field === "event") frame.event = value;
        else throw new Error(`Unexpected SSE field ${field}`);
      }
      frame.data = data.join("\n");
      return frame;
    });
}

/** JSON request options for `app.request`. */
export function jsonPost(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

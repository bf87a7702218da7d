import type { AgentDefinition } from "../../../src/agents/agent-definition.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { createApp } from "../../../src/server/app.js";
import type { ApiKeyStore } from "../../../src/services/auth/api-key-store.js";
import { InMemoryTaskStore } from "../../../src/services/task/in-memory-task-store.js";
import type { TaskStore } from "../../../src/services/task/task-store.js";
import { createArtifactWriteTool } from "../../../src/tools/builtin/artifact-write-tool.js";
import { createRunHarness } from "../../runs/run-harness.js";
import { validateResponse } from "./agent-protocol-spec.js";

/** Options of {@link createAgentProtocolHarness}. */
export interface AgentProtocolHarnessOptions {
  streamStep: StreamStep;
  agents?: AgentDefinition[];
  /** Gives every agent the real `artifact_write` built-in over the harness's artifact store. */
  artifactWriteTool?: boolean;
  tasks?: TaskStore;
  defaultAgent?: string;
  apiKeys?: ApiKeyStore;
  /** @default 65536 */
  maxBodyBytes?: number;
}

/** A response whose body was validated against the Agent Protocol spec. */
export interface CheckedResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * `createApp` over a real RunManager, in-memory stores (or the given task store) and a scripted model,
 * with a `request` helper that validates every Agent Protocol response against the spec's schemas.
 */
export function createAgentProtocolHarness(options: AgentProtocolHarnessOptions) {
  const harness: ReturnType<typeof createRunHarness> = createRunHarness({
    streamStep: options.streamStep,
    ...(options.agents === undefined ? {} : { agents: options.agents }),
    ...(options.artifactWriteTool === true
      ? {
          toolsFor: async () => {
            const tool = createArtifactWriteTool({ artifacts: harness.artifacts });
            return {
              tools: new Map([[tool.name, tool]]),
              specs: [{ name: tool.name, description: tool.description, inputSchema: tool.inputSchema }],
            };
          },
        }
      : {}),
  });
  const tasks = options.tasks ?? new InMemoryTaskStore();
  const unexpected: unknown[] = [];
  const app = createApp({
    agents: harness.catalog,
    runs: harness.runs,
    sessions: harness.sessions,
    artifacts: harness.artifacts,
    tasks,
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
    ...(options.defaultAgent === undefined ? {} : { defaultAgent: options.defaultAgent }),
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
  });

  /** Sends a request and validates the answer against the spec (see `validateResponse`). */
  async function request<T = Record<string, unknown>>(
    method: string,
    path: string,
    init: RequestInit = {},
  ): Promise<CheckedResponse<T>> {
    const response = await app.request(path, { ...init, method });
    const headers = response.headers;
    const body = (await validateResponse(method, path.split("?")[0] ?? path, response)) as T;
    return { status: response.status, headers, body };
  }

  return { ...harness, app, tasks, unexpected, request };
}

/** JSON request options. */
export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

/** Multipart request options with a `file` part and optional `relative_path`. */
export function upload(
  bytes: Uint8Array | string,
  fileName: string,
  relativePath?: string,
  headers: Record<string, string> = {},
): RequestInit {
  const form = new FormData();
  form.append("file", new Blob([bytes]), fileName);
  if (relativePath !== undefined) form.append("relative_path", relativePath);
  return { body: form, headers };
}

/** Spec types, as the tests read them. */
export interface TaskJson {
  task_id: string;
  input: string | null;
  additional_input: Record<string, unknown>;
  artifacts: ArtifactJson[];
}
export interface ArtifactJson {
  artifact_id: string;
  agent_created: boolean;
  file_name: string;
  relative_path: string | null;
}
export interface StepJson {
  task_id: string;
  step_id: string;
  name: string;
  status: string;
  input: string;
  additional_input?: Record<string, unknown>;
  output: string | null;
  additional_output: { status: string; usage?: unknown; error?: { code: string; message: string } };
  artifacts: ArtifactJson[];
  is_last: boolean;
}
export interface PaginationJson {
  total_items: number;
  total_pages: number;
  current_page: number;
  page_size: number;
}

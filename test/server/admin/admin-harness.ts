import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { TenantAgents } from "../../../src/agents/tenant-agents.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { EventBus } from "../../../src/runs/event-bus.js";
import { RunManager } from "../../../src/runs/run-manager.js";
import { createApp } from "../../../src/server/app.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import type { ApiKeyRole } from "../../../src/services/auth/api-key-store.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { InMemoryMemoryStore } from "../../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";

/** A valid agent as admin-API files (model `openai/gpt-5-mini`, one skill). */
export function agentFiles(name: string, description = "A helpful assistant."): Record<string, string> {
  return {
    "agent.yaml": [
      "apiVersion: pluto/v1",
      "kind: Agent",
      "metadata:",
      `  name: ${name}`,
      `  description: ${description}`,
      "spec:",
      "  model: openai/gpt-5-mini",
      "  system_prompt: SYSTEM_PROMPT.md",
      "  instructions: INSTRUCTIONS.md",
      "",
    ].join("\n"),
    "SYSTEM_PROMPT.md": `You are ${name}.\n`,
    "INSTRUCTIONS.md": "Answer briefly.\n",
    "skills/research/SKILL.md": "---\nname: research\ndescription: Look things up.\n---\n\nSearch first.\n",
  };
}

/** Options of {@link createAdminHarness}. */
export interface AdminHarnessOptions {
  streamStep?: StreamStep;
  rateLimitPerMinute?: number;
  maxConcurrentRunsPerTenant?: number;
  maxBodyBytes?: number;
  /** `server.allowed_hosts`. */
  allowedHosts?: string[];
  /** @default true: without keys the app runs in simple mode (everyone is the default admin). */
  withKeys?: boolean;
}

/**
 * `createApp` over real agents folders in a temp dir (`TenantAgents`, also passed as `agentFolders`),
 * a real `RunManager` over in-memory stores, and an in-memory key store with keys:
 * `operator` (default tenant admin), `acmeAdmin`, `acmeMember`, `betaAdmin`.
 */
export async function createAdminHarness(options: AdminHarnessOptions = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), "pluto-admin-"));
  const agents = new TenantAgents({
    agentsDir: path.join(root, "agents"),
    dataDir: path.join(root, "data"),
    providerNames: [],
  });
  const apiKeys = new InMemoryApiKeyStore();
  const unusedStep: StreamStep = async () => {
    throw new Error("no model step expected in this test");
  };
  const runs = new RunManager({
    agents,
    sessions: new InMemorySessionStore(),
    memory: new InMemoryMemoryStore(),
    artifacts: new InMemoryArtifactStore(),
    bus: new EventBus(),
    streamStepFor: () => options.streamStep ?? unusedStep,
    toolsFor: async () => ({ tools: new Map(), specs: [] }),
  });
  const key = async (tenant: string, role: ApiKeyRole) =>
    (await createApiKey(apiKeys, { tenant, role, name: `${tenant}-${role}` })).token;
  const tokens =
    options.withKeys === false
      ? undefined
      : {
          operator: await key("default", "admin"),
          acmeAdmin: await key("acme", "admin"),
          acmeMember: await key("acme", "member"),
          betaAdmin: await key("beta", "admin"),
        };
  const unexpected: unknown[] = [];
  const app = createApp({
    agents,
    agentFolders: agents,
    runs,
    sessions: new InMemorySessionStore(),
    apiKeys,
    maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
    ...(options.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: options.rateLimitPerMinute }),
    ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
    ...(options.maxConcurrentRunsPerTenant === undefined
      ? {}
      : { maxConcurrentRunsPerTenant: options.maxConcurrentRunsPerTenant }),
  });
  return {
    app,
    root,
    agents,
    apiKeys,
    runs,
    unexpected,
    tokens: tokens ?? { operator: "", acmeAdmin: "", acmeMember: "", betaAdmin: "" },
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** Request options with a bearer token and, when given, a JSON body. */
export function withToken(token: string, init: { method?: string; body?: unknown } = {}): RequestInit {
  return {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  };
}

/** The parsed error body, after checking the status and the one error format. */
export async function expectError(response: Response, status: number, code: string) {
  const body = (await response.json()) as {
    error: { code: string; message: string; details?: Record<string, unknown> };
  };
  if (response.status !== status || body.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${JSON.stringify(body)}`);
  }
  if (
    Object.keys(body).join() !== "error" ||
    typeof body.error.message !== "string" ||
    body.error.message.length < 10
  ) {
    throw new Error(`not the error format: ${JSON.stringify(body)}`);
  }
  return body.error;
}

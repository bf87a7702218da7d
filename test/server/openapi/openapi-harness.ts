import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { TenantAgents } from "../../../src/agents/tenant-agents.js";
import { InMemoryJobStore } from "../../../src/jobs/in-memory-job-store.js";
import type { StreamStep } from "../../../src/llm/model-step.js";
import { EventBus } from "../../../src/runs/event-bus.js";
import { RunManager } from "../../../src/runs/run-manager.js";
import { createApp } from "../../../src/server/app.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { InMemoryMemoryStore } from "../../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import { InMemoryTaskStore } from "../../../src/services/task/in-memory-task-store.js";
import { agentFiles } from "../admin/admin-harness.js";

/** Options of {@link createFullApp}. */
export interface FullAppOptions {
  /** The model seam of every agent. @default one that fails the test if called */
  streamStep?: StreamStep;
  /** `server.auth.token`. */
  authToken?: string;
  /** Create an admin API key of the default tenant (turns authentication on). @default false */
  withKey?: boolean;
  publicUrl?: string;
}

/**
 * `createApp` with every route group mounted: real agents folders in a temp dir (agent `demo`,
 * through `TenantAgents`, also the admin API's folders), a real `RunManager` over in-memory session,
 * memory and artifact stores, an in-memory task store (Agent Protocol, A2A) and key store.
 */
export async function createFullApp(options: FullAppOptions = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), "pluto-openapi-"));
  const agentsDir = path.join(root, "agents");
  for (const [file, text] of Object.entries(agentFiles("demo"))) {
    const target = path.join(agentsDir, "demo", file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  const agents = new TenantAgents({ agentsDir, dataDir: path.join(root, "data"), providerNames: [] });
  const unusedStep: StreamStep = async () => {
    throw new Error("no model step expected in this test");
  };
  const sessions = new InMemorySessionStore();
  const artifacts = new InMemoryArtifactStore();
  const runs = new RunManager({
    agents,
    sessions,
    memory: new InMemoryMemoryStore(),
    artifacts,
    bus: new EventBus(),
    streamStepFor: () => options.streamStep ?? unusedStep,
    toolsFor: async () => ({ tools: new Map(), specs: [] }),
  });
  const apiKeys = new InMemoryApiKeyStore();
  const token =
    options.withKey === true
      ? (await createApiKey(apiKeys, { tenant: "default", role: "admin", name: "openapi-test" })).token
      : undefined;
  const unexpected: unknown[] = [];
  const app = createApp({
    agents,
    agentFolders: agents,
    runs,
    sessions,
    artifacts,
    tasks: new InMemoryTaskStore(),
    jobs: new InMemoryJobStore(),
    apiKeys,
    maxBodyBytes: 1024 * 1024,
    ready: () => true,
    onUnexpectedError: (error) => unexpected.push(error),
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
  });
  return {
    app,
    token,
    unexpected,
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** The parts of an OpenAPI document the tests read. */
export interface OpenApiDocumentShape {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        security?: unknown[];
        requestBody?: { content: Record<string, { schema: unknown }> };
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      }
    >
  >;
  components: { schemas: Record<string, Record<string, unknown>> };
  servers: { url: string }[];
}

/**
 * A zod validator for a schema of `document` (a `$ref` or inline JSON Schema 2020-12), built with
 * zod's `z.fromJSONSchema` over the document's components (refs rewritten to `#/$defs/…`), so real
 * answers are checked against what the document says, not against the zod schemas it came from.
 */
export function documentValidator(document: OpenApiDocumentShape, schema: unknown): z.ZodType {
  const rewrite = (value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll("#/components/schemas/", "#/$defs/")) as Record<
      string,
      unknown
    >;
  return z.fromJSONSchema(
    { ...rewrite(schema), $defs: rewrite(document.components.schemas) } as Parameters<
      typeof z.fromJSONSchema
    >[0],
    { defaultTarget: "draft-2020-12" },
  );
}

/**
 * Checks a real answer against the document: the operation `method path` (a template such as
 * `/api/v1/agents/{agent}`) must list `response.status` with the response's media type, and a JSON
 * body must match that schema. @returns the parsed JSON body. @throws Error naming the mismatch.
 */
export async function expectDocumented(
  document: OpenApiDocumentShape,
  method: string,
  template: string,
  response: Response,
): Promise<unknown> {
  const operation = document.paths[template]?.[method.toLowerCase()];
  if (operation === undefined) throw new Error(`The document has no ${method} ${template}`);
  const described = operation.responses[String(response.status)] ?? operation.responses["4XX"];
  if (described === undefined)
    throw new Error(`${method} ${template} does not list status ${response.status}`);
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const content = described.content?.[mediaType];
  if (content === undefined) {
    throw new Error(`${method} ${template} ${response.status} does not list media type ${mediaType}`);
  }
  if (!mediaType.endsWith("json")) return await response.text();
  const body: unknown = await response.json();
  const result = documentValidator(document, content.schema).safeParse(body);
  if (!result.success) {
    throw new Error(
      `${method} ${template} ${response.status} does not match the document: ${JSON.stringify(result.error.issues)}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
  }
  return body;
}

import { OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { registerWebSocketPath } from "../websocket/websocket-openapi.js";
import { registerA2aAndMcpPaths } from "./a2a-mcp-paths.js";
import { registerAdminApiPaths } from "./admin-api-paths.js";
import { registerAgentProtocolPaths } from "./agent-protocol-paths.js";
import { registerApprovalPaths } from "./approval-paths.js";
import { AgentProtocolErrorBody, ErrorBody, OpenAiErrorBody } from "./error-schemas.js";
import { registerJobApiPaths } from "./job-api-paths.js";
import { registerNativeApiPaths } from "./native-api-paths.js";
import { registerOpenAiApiPaths } from "./openai-api-paths.js";
import { OpenApiBuilder } from "./openapi-builder.js";
import { registerOpenApiPaths } from "./openapi-paths.js";

/** Options for {@link createOpenApiDocument}. */
export interface OpenApiDocumentOptions {
  /**
   * Absolute URL clients reach the server at (`AppOptions.publicUrl`), listed in `servers`.
   * @default "/" (the host the document was fetched from)
   */
  publicUrl?: string;
  /** `info.version`: the version of the API described. @default "1.0.0" */
  version?: string;
}

/** The document's tags, in the order the docs page shows them. */
const TAGS = [
  {
    name: "Agents and runs",
    description:
      "Pluto's native API: agents, runs (JSON or SSE), session replay, abort. See docs/http-api.md.",
  },
  {
    name: "Jobs",
    description:
      "Durable jobs that workers run, with approval before they start and abort; the panic switch is under Admin. See docs/jobs.md.",
  },
  {
    name: "OpenAI-compatible",
    description: "OpenAI's Chat Completions API; `model` names an agent. See docs/api-openai.md.",
  },
  {
    name: "Agent Protocol",
    description:
      "Agent Protocol v1 (AI Engineer Foundation): tasks, steps, artifacts. See docs/api-agent-protocol.md.",
  },
  {
    name: "Agent Protocol (alias)",
    description: "The same Agent Protocol routes beside Pluto's own under `/api/v1`.",
  },
  {
    name: "A2A",
    description:
      "Agent2Agent v1.0 (and v0.3): agent cards, JSON-RPC and HTTP+JSON bindings. See docs/api-a2a.md.",
  },
  { name: "MCP", description: "Every agent as an MCP server over Streamable HTTP. See docs/api-mcp.md." },
  {
    name: "Admin",
    description:
      "Agents, API keys and login links of the caller's tenant; admins only. See docs/api-admin.md.",
  },
  { name: "Login", description: "Browser login by one-time link. See docs/auth.md." },
  { name: "Health", description: "Liveness and readiness checks; no credentials." },
  { name: "Documentation", description: "This document and its interactive page; no credentials." },
];

/** The Markdown description at the top of the document. */
const DESCRIPTION = [
  "Pluto runs AI agents defined as files. One server speaks several APIs: its own (`/api/v1`), OpenAI's Chat Completions (`/v1`), the Agent Protocol (`/ap/v1`), A2A (`/a2a/{agent}`) and MCP (`/mcp/{agent}`). See docs/api.md for curl examples of each.",
  "",
  "**Authentication.** Send `Authorization: Bearer <key>` with a tenant API key (`pluto keys create`, or `POST /api/v1/admin/keys`) or `server.auth.token`; browsers use the `pluto_session` cookie of a login link. The key decides the tenant; nothing in a body does. A server with no token and no keys (simple mode on loopback) accepts every request as the default tenant's admin. Tokens are never read from query strings (the one-time `GET /login?token=` aside).",
  "",
  'Errors: `{"error": {"code", "message", "details"}}` (the OpenAI-compatible routes use OpenAI\'s error shape with the same codes).',
].join("\n");

/**
 * Builds Pluto's OpenAPI 3.1 document: every public route of the native, OpenAI-compatible, Agent
 * Protocol, admin, A2A and MCP APIs, with request bodies from the zod schemas the routes validate with
 * and response bodies from the schemas in this folder, converted by zod's `z.toJSONSchema`
 * (`OpenApiBuilder`), and paths by @asteasolutions/zod-to-openapi's `OpenApiGeneratorV31`.
 * Security is bearer token or login cookie everywhere except the operations that declare `security: []`.
 * Pure: builds a new object on every call (cache the result; see `openapi-routes.ts`).
 * @returns the document as a plain JSON-serialisable object.
 */
export function createOpenApiDocument(options: OpenApiDocumentOptions = {}): Record<string, unknown> {
  const builder = new OpenApiBuilder();
  builder.schema("Error", ErrorBody, "response");
  builder.schema("AgentProtocolError", AgentProtocolErrorBody, "response");
  builder.schema("OpenAiError", OpenAiErrorBody, "response");
  registerNativeApiPaths(builder);
  registerApprovalPaths(builder);
  registerWebSocketPath(builder);
  registerOpenAiApiPaths(builder);
  registerAgentProtocolPaths(builder);
  registerA2aAndMcpPaths(builder);
  registerAdminApiPaths(builder);
  registerJobApiPaths(builder);
  registerOpenApiPaths(builder);
  builder.registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A tenant API key (`pluto_<id>_<secret>`) or `server.auth.token`.",
  });
  builder.registry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: "pluto_session",
    description: "The browser session a one-time login link sets (`GET /login`).",
  });
  builder.registerComponents();

  const generator = new OpenApiGeneratorV31(builder.registry.definitions);
  const document = generator.generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Pluto",
      version: options.version ?? "1.0.0",
      description: DESCRIPTION,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [
      {
        url: (options.publicUrl ?? "/").replace(/(.)\/+$/, "$1"),
        description: "This Pluto server",
      },
    ],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    tags: TAGS,
  });
  // Round-trip through JSON: the generator's object may hold `undefined`s, which JSON drops anyway.
  const { webhooks: _none, ...withoutWebhooks } = document;
  return JSON.parse(JSON.stringify(withoutWebhooks)) as Record<string, unknown>;
}

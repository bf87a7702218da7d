import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AgentDefinition } from "../agents/agent-definition.js";
import { isPlutoError, PlutoError } from "../core/errors.js";
import type { RunManager } from "../runs/run-manager.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import type { ApiKeyStore } from "../services/auth/api-key-store.js";
import type { SessionStore } from "../services/session/session-store.js";
import type { TaskStore } from "../services/task/task-store.js";
import { agentProtocolRoutes } from "./agent-protocol/agent-protocol-routes.js";
import { authenticate } from "./auth.js";
import { statusForCode } from "./error-status.js";
import { mcpRoutes } from "./mcp/mcp-routes.js";
import { openaiRoutes } from "./openai/openai-routes.js";
import type { AppEnv } from "./request-identity.js";
import { agentRoutes } from "./routes/agent-routes.js";
import { runRoutes } from "./routes/run-routes.js";
import { sessionRoutes } from "./routes/session-routes.js";

/** What the HTTP API needs; built by `runtime.ts`. */
export interface AppOptions {
  /** Agent definitions per tenant (`TenantAgents`); `tenant` defaults to the default tenant. */
  agents: {
    get(name: string, tenant?: string): Promise<AgentDefinition>;
    list(tenant?: string): Promise<{ name: string; description: string; valid: boolean }[]>;
  };
  runs: RunManager;
  sessions: SessionStore;
  /** Artifacts served as MCP resources at `/mcp/{agent}`; without it the MCP servers offer no resources. */
  artifacts?: ArtifactStore;
  /** Protocol tasks (Agent Protocol, A2A), shared by every worker. */
  tasks?: TaskStore;
  /**
   * Agent of a new Agent Protocol task when the request names none and the tenant has more than one
   * agent (see docs/api-agent-protocol.md, "Which agent").
   */
  defaultAgent?: string;
  /** Largest request body in bytes; larger bodies get 413. */
  maxBodyBytes: number;
  /** `server.auth.token`: when set, every route but health checks and agent cards needs a credential. */
  authToken?: string;
  /** Tenant API keys and login cookies; with at least one key, every non-public route needs a credential. */
  apiKeys?: ApiKeyStore;
  /** True once start-up finished (for `/readyz`). */
  ready: () => boolean;
  /** Receives unexpected errors (they are hidden from clients). */
  onUnexpectedError?: (error: unknown) => void;
}

/**
 * The HTTP API (issue "v0.1 core", HTTP): health, agents, runs with JSON or SSE, session replay, abort.
 * Every error leaves as `{"error": {"code", "message", "details"}}`.
 */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/healthz", (context) => context.json({ status: "ok" }));
  app.get("/readyz", (context) =>
    options.ready() ? context.json({ status: "ready" }) : context.json({ status: "starting" }, 503),
  );

  const auth = authenticate({
    ...(options.authToken === undefined ? {} : { token: options.authToken }),
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
  });
  app.use("*", (context, next) => (isPublicPath(context.req.path) ? next() : auth(context, next)));
  app.use(
    "*",
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => {
        throw new PlutoError(
          "PAYLOAD_TOO_LARGE",
          `The request body is larger than ${options.maxBodyBytes} bytes (server.max_body_bytes).`,
        );
      },
    }),
  );
  const api = new Hono<AppEnv>();
  api.route("/", agentRoutes(options));
  api.route("/", runRoutes(options));
  api.route("/", sessionRoutes(options));
  app.route("/api/v1", api);
  app.route("/v1", openaiRoutes(options));
  app.route("/mcp", mcpRoutes(options));
  if (options.tasks !== undefined && options.artifacts !== undefined) {
    const agentProtocol = agentProtocolRoutes({
      ...options,
      tasks: options.tasks,
      artifacts: options.artifacts,
    });
    app.route("/ap/v1", agentProtocol);
    app.route("/api/v1", agentProtocol);
  }

  app.notFound(() => {
    throw new PlutoError("NOT_FOUND", "No such route. See the API reference in docs/http-api.md.");
  });
  app.onError((error, context) => {
    if (isPlutoError(error)) {
      return context.json({ error: error.toJSON() }, statusForCode(error.code));
    }
    options.onUnexpectedError?.(error);
    return context.json(
      { error: { code: "INTERNAL", message: "Internal error; the server log has the details." } },
      500,
    );
  });
  return app;
}

/** Routes anyone may call: health checks, discovery documents and the login-link exchange. */
function isPublicPath(path: string): boolean {
  return (
    path === "/healthz" ||
    path === "/readyz" ||
    path === "/login" ||
    path.startsWith("/.well-known/") ||
    /^\/a2a\/[^/]+\/\.well-known\//.test(path)
  );
}

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { isPlutoError, PlutoError } from "../core/errors.js";
import { InMemoryTaskStore } from "../services/task/in-memory-task-store.js";
import { a2aRoutes } from "./a2a/a2a-routes.js";
import { adminRoutes } from "./admin/admin-routes.js";
import { agentProtocolRoutes } from "./agent-protocol/agent-protocol-routes.js";
import { type AppOptions, DEFAULT_MAX_STREAMS, DEFAULT_SLOW_READER_TIMEOUT_MS } from "./app-options.js";
import { authenticate } from "./auth.js";
import { statusForCode } from "./error-status.js";
import { jobRoutes } from "./jobs/job-routes.js";
import { createTenantLimits } from "./limits/create-tenant-limits.js";
import { loginRoutes } from "./login/login-routes.js";
import { mcpRoutes } from "./mcp/mcp-routes.js";
import { openaiRoutes } from "./openai/openai-routes.js";
import { openApiRoutes } from "./openapi/openapi-routes.js";
import type { AppEnv } from "./request-identity.js";
import { agentRoutes } from "./routes/agent-routes.js";
import { approvalRoutes } from "./routes/approval-routes.js";
import { runRoutes } from "./routes/run-routes.js";
import { sessionRoutes } from "./routes/session-routes.js";
import { requestOriginGuard } from "./security/request-origin-guard.js";
import { streamGuard } from "./streams/stream-guard.js";
import { StreamLimiter } from "./streams/stream-limiter.js";
import { SocketCredentials } from "./websocket/socket-credentials.js";
import { websocketRoutes } from "./websocket/websocket-routes.js";

/**
 * The HTTP API (issue "v0.1 core", HTTP): health, agents, runs with JSON or SSE, session replay, abort.
 * Every error leaves as `{"error": {"code", "message", "details"}}`.
 */
export function createApp(appOptions: AppOptions): Hono<AppEnv> {
  // Per-tenant limits: every route below gets the counted `runs` (see limits/create-tenant-limits.ts).
  const limits = createTenantLimits(appOptions);
  const options: AppOptions = { ...appOptions, runs: limits.runs };
  const app = new Hono<AppEnv>();

  // Before everything else, health checks included (they are exempt from the Host check inside).
  app.use(
    "*",
    requestOriginGuard({
      ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    }),
  );
  app.get("/healthz", (context) => context.json({ status: "ok" }));
  app.get("/readyz", (context) =>
    options.ready() ? context.json({ status: "ready" }) : context.json({ status: "starting" }, 503),
  );

  const auth = authenticate({
    ...(options.authToken === undefined ? {} : { token: options.authToken }),
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
  });
  app.use("*", (context, next) => (isPublicPath(context.req.path) ? next() : auth(context, next)));
  const appBodyLimit = bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: () => {
      throw new PlutoError(
        "PAYLOAD_TOO_LARGE",
        `The request body is larger than ${options.maxBodyBytes} bytes (server.max_body_bytes).`,
      );
    },
  });
  // /v1 applies the same limit itself, answering in OpenAI's error shape (OpenAI clients read `type`).
  app.use("*", (context, next) => (hasOwnBodyLimit(context.req.path) ? next() : appBodyLimit(context, next)));
  const limit = limits.middleware;
  if (limit !== undefined) {
    app.use("*", (context, next) => (isPublicPath(context.req.path) ? next() : limit(context, next)));
  }
  const streams = streamGuard({
    limiter: new StreamLimiter({
      maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
      ...(options.maxStreamsPerTenant === undefined
        ? {}
        : { maxStreamsPerTenant: options.maxStreamsPerTenant }),
    }),
    slowReaderTimeoutMs: options.slowReaderTimeoutMs ?? DEFAULT_SLOW_READER_TIMEOUT_MS,
  });
  app.use("*", (context, next) => (isPublicPath(context.req.path) ? next() : streams(context, next)));
  // Open WebSockets re-check the key that opened them, so revoking a key closes its sockets.
  const credentials =
    options.apiKeys === undefined ? undefined : new SocketCredentials({ apiKeys: options.apiKeys });
  if (options.apiKeys !== undefined) app.route("/", loginRoutes({ apiKeys: options.apiKeys }));
  app.route(
    "/api/v1/admin",
    adminRoutes({
      agents: options.agents,
      ...(options.agentFolders === undefined ? {} : { agentFolders: options.agentFolders }),
      ...(options.agentStore === undefined ? {} : { agentStore: options.agentStore }),
      ...(options.mcpPolicy === undefined ? {} : { mcpPolicy: options.mcpPolicy }),
      ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
      ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
      onKeysChanged: () => {
        auth.keysChanged();
        void credentials?.recheck();
      },
    }),
  );
  const api = new Hono<AppEnv>();
  api.route("/", agentRoutes(options));
  api.route("/", runRoutes(options));
  api.route("/", sessionRoutes(options));
  api.route("/", approvalRoutes(options));
  if (options.jobs !== undefined) api.route("/", jobRoutes({ ...options, jobs: options.jobs }));
  // WebSocket transport of the same event stream (docs/websocket.md); needs startServer's `websocket`.
  api.route(
    "/",
    websocketRoutes({
      ...options,
      ...(limits.rate === undefined ? {} : { rate: limits.rate }),
      ...(credentials === undefined ? {} : { credentials }),
    }),
  );
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
  // A2A tasks need a shared store across workers; without one they live in this process only.
  app.route(
    "/",
    a2aRoutes({
      ...options,
      tasks: options.tasks ?? new InMemoryTaskStore(),
      authRequired: options.authToken !== undefined || options.apiKeys !== undefined,
    }),
  );

  // The OpenAPI document and its docs page (public, see isPublicPath).
  app.route("/", openApiRoutes(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }));

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
    path === "/openapi.json" ||
    path === "/docs" ||
    path.startsWith("/.well-known/") ||
    /^\/a2a\/[^/]+\/\.well-known\//.test(path)
  );
}

/** Route groups that enforce `maxBodyBytes` themselves, in their protocol's error shape (OpenAI). */
function hasOwnBodyLimit(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/");
}

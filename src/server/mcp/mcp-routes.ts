import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import type { AppOptions } from "../app-options.js";
import { tokenUnlessAuthenticated } from "../openai/token-unless-authenticated.js";
import { identityOf } from "../request-identity.js";
import { createAgentMcpServer } from "./agent-mcp-server.js";

/** What the MCP routes need from the app (a subset of `AppOptions`). */
export type McpRoutesOptions = Pick<
  AppOptions,
  "agents" | "runs" | "artifacts" | "maxBodyBytes" | "authToken"
> & {
  /**
   * Authentication to run before every route, for mounting these routes outside `createApp` (which
   * authenticates every non-public route itself). It may set the caller's identity
   * (`request-identity.ts`), whose tenant scopes agents, sessions and artifacts. @default none (then only `authToken` is checked)
   */
  auth?: MiddlewareHandler;
};

/**
 * Every agent as an MCP server over Streamable HTTP (MCP specification 2025-06-18, transports;
 * issue "Standard APIs", item 4), mounted at `/mcp`: `POST /mcp/{agent}`.
 *
 * Stateless: each POST gets a new `McpServer` and `WebStandardStreamableHTTPServerTransport` with no
 * `Mcp-Session-Id`, so any worker can answer any request; conversation state lives in Pluto sessions
 * (the tool's `session_id`). `GET` (the server-to-client stream) and `DELETE` (session end) answer 405,
 * as the specification allows for servers without sessions.
 *
 * Errors before MCP starts use Pluto's HTTP error format: an unknown agent 404 `AGENT_NOT_FOUND`, a
 * hostile name 400 `INVALID_NAME`. Authentication is the app's (or `options.auth`'s), with
 * `Authorization: Bearer <authToken>` required when nothing authenticated the request before; agents,
 * sessions and artifacts belong to the caller's tenant. DNS-rebinding and cross-origin requests, which
 * the specification requires servers to guard against, are refused before these routes by the app's
 * origin guard (`security/request-origin-guard.ts`): mount that too when mounting these routes alone.
 */
export function mcpRoutes(options: McpRoutesOptions): Hono {
  const routes = new Hono();
  if (options.auth !== undefined) routes.use("*", options.auth);
  routes.use("*", tokenUnlessAuthenticated(options.authToken));
  routes.use(
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

  routes.on(["GET", "DELETE"], "/:agent", (context) => {
    context.header("allow", "POST");
    return context.json(
      {
        jsonrpc: "2.0",
        error: {
          code: -32000,
          message: "Method not allowed: this MCP server is stateless; send requests with POST.",
        },
        id: null,
      },
      405,
    );
  });

  routes.post("/:agent", async (context) => {
    const { tenant } = identityOf(context);
    const agent = await options.agents.get(assertSafeName("agent", context.req.param("agent")), tenant);
    const server = createAgentMcpServer({
      agent,
      tenant,
      runs: options.runs,
      ...(options.artifacts === undefined ? {} : { artifacts: options.artifacts }),
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      maxRequestBodySize: options.maxBodyBytes,
    });
    await server.connect(transport);
    return transport.handleRequest(context.req.raw);
  });
  return routes;
}

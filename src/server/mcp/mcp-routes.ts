import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import type { AppOptions } from "../app.js";
import { bearerAuth } from "../auth.js";
import { isLoopbackHost } from "../start-server.js";
import { createAgentMcpServer } from "./agent-mcp-server.js";

/** What the MCP routes need from the app (a subset of `AppOptions`). */
export type McpRoutesOptions = Pick<
  AppOptions,
  "agents" | "runs" | "artifacts" | "maxBodyBytes" | "authToken"
>;

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
 * hostile name 400 `INVALID_NAME`, a missing token 401. Without an auth token, a request whose `Host`
 * is not a loopback name is refused (401), which stops DNS-rebinding attacks from web pages (the
 * specification requires servers to guard against them).
 */
export function mcpRoutes(options: McpRoutesOptions): Hono {
  const routes = new Hono();
  if (options.authToken !== undefined) {
    routes.use("*", bearerAuth(options.authToken));
  } else {
    routes.use("*", async (context, next) => {
      if (!isLoopbackHost(new URL(context.req.url).hostname)) {
        throw new PlutoError(
          "UNAUTHORIZED",
          "MCP requests without an auth token are accepted only for a loopback Host (localhost, 127.0.0.1, [::1]). Set server.auth.token in pluto.yaml to serve MCP on other names.",
        );
      }
      await next();
    });
  }
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
    const agent = await options.agents.get(assertSafeName("agent", context.req.param("agent")));
    const server = createAgentMcpServer({
      agent,
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

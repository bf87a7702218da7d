import { z } from "zod";
import { AgentParameter } from "./native-api-paths.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/**
 * The A2A endpoints (docs/api-a2a.md; A2A v1.0 with v0.3 compatibility through @a2a-js/sdk) and the
 * per-agent MCP servers (docs/api-mcp.md) in the OpenAPI document. Both protocols define their own
 * message schemas (A2A's ProtoJSON, MCP's JSON-RPC messages), which their specifications and SDKs
 * own; the document describes the endpoints, envelopes and media types and links the specifications.
 */

/** An A2A agent card (v1.0 ProtoJSON or the v0.3 form); every field but the basics is the spec's. */
export const A2aAgentCard = z
  .looseObject({
    name: z.string(),
    description: z.string(),
    version: z.string(),
  })
  .describe("An A2A AgentCard (https://a2a-protocol.org/latest/specification/#agentcard-object).");

/** A JSON-RPC 2.0 request or notification (A2A JSON-RPC binding, MCP Streamable HTTP). */
export const JsonRpcRequest = z.looseObject({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  method: z.string(),
  params: z.unknown().optional(),
});

/** A JSON-RPC 2.0 response: `result` or `error`. */
export const JsonRpcResponse = z.looseObject({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number(), z.null()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
});

/** An A2A HTTP+JSON body: a ProtoJSON object of the A2A specification. */
const A2aObject = z
  .looseObject({})
  .describe(
    "A ProtoJSON object of the A2A v1.0 specification (`SendMessageRequest`, `Task`, `ListTasksResponse`, …).",
  );

/** The error body of the A2A HTTP+JSON binding (`google.rpc.Status` in ProtoJSON). */
const A2aRestError = z.looseObject({
  error: z.looseObject({ code: z.number().int(), status: z.string(), message: z.string() }),
});

/** Registers the A2A cards, JSON-RPC and HTTP+JSON bindings, and `/mcp/{agent}`. */
export function registerA2aAndMcpPaths(builder: OpenApiBuilder): void {
  const cardContent = {
    "application/json": { schema: builder.schema("A2aAgentCard", A2aAgentCard, "response") },
  };
  const versionHeader = z.object({
    "a2a-version": z
      .string()
      .optional()
      .describe("`1.0` for the v1.0 card; absent or `0.3` for the v0.3 form."),
  });
  const cards = [
    {
      path: "/.well-known/agent-card.json",
      id: "getInstanceAgentCard",
      summary: "The instance's A2A agent card",
    },
    {
      path: "/.well-known/agent.json",
      id: "getInstanceAgentCardLegacy",
      summary: "The instance's agent card (v0.3 path)",
    },
    {
      path: "/a2a/{agent}/.well-known/agent-card.json",
      id: "getAgentCard",
      summary: "One agent's A2A agent card",
    },
    {
      path: "/a2a/{agent}/.well-known/agent.json",
      id: "getAgentCardLegacy",
      summary: "One agent's agent card (v0.3 path)",
    },
  ];
  for (const card of cards) {
    builder.path({
      method: "get",
      path: card.path,
      operationId: card.id,
      summary: card.summary,
      tags: ["A2A"],
      security: [],
      request: card.path.includes("{agent}")
        ? { params: AgentParameter, headers: versionHeader }
        : { headers: versionHeader },
      responses: {
        200: { description: "The card, cacheable for five minutes (`ETag`).", content: cardContent },
        304: { description: "Not modified (`If-None-Match`)." },
        ...builder.errors("pluto", 400, 404),
      },
    });
  }

  builder.path({
    method: "post",
    path: "/a2a/{agent}/jsonrpc",
    operationId: "a2aJsonRpc",
    summary: "A2A JSON-RPC binding (v1.0 and v0.3)",
    description:
      "JSON-RPC 2.0 over HTTP: v1.0 methods (`SendMessage`, `SendStreamingMessage`, `GetTask`, `ListTasks`, `CancelTask`, `SubscribeToTask`) and v0.3 ones (`message/send`, `message/stream`, `tasks/get`, `tasks/cancel`, `tasks/resubscribe`). Streaming methods answer SSE whose `data:` frames are JSON-RPC responses.",
    tags: ["A2A"],
    request: {
      params: AgentParameter,
      body: {
        required: true,
        content: {
          "application/json": { schema: builder.schema("JsonRpcRequest", JsonRpcRequest, "request") },
        },
      },
    },
    responses: {
      200: {
        description: "A JSON-RPC response (errors included), or SSE for streaming methods.",
        content: {
          "application/json": { schema: builder.schema("JsonRpcResponse", JsonRpcResponse, "response") },
          "text/event-stream": { schema: z.string().describe("`data:` frames of JSON-RPC responses.") },
        },
      },
      ...builder.errors("pluto", 400, 401, 404, 413, 429),
    },
  });

  const restError = builder.schema("A2aRestError", A2aRestError, "response");
  const a2aJson = builder.schema("A2aObject", A2aObject, "response");
  const a2aRequest = builder.schema("A2aRequestObject", A2aObject, "request");
  const rest = (route: {
    method: "get" | "post";
    path: string;
    id: string;
    summary: string;
    body?: boolean;
    stream?: boolean;
    taskId?: boolean;
  }) =>
    builder.path({
      method: route.method,
      path: `/a2a/{agent}/rest${route.path}`,
      operationId: route.id,
      summary: route.summary,
      tags: ["A2A"],
      request: {
        params:
          route.taskId === true
            ? AgentParameter.extend({ id: z.string().describe("The A2A task id.") })
            : AgentParameter,
        ...(route.body === true
          ? {
              body: {
                required: true,
                content: {
                  "application/json": { schema: a2aRequest },
                  "application/a2a+json": { schema: a2aRequest },
                },
              },
            }
          : {}),
      },
      responses: {
        200: {
          description: route.stream === true ? "SSE of `StreamResponse` objects." : "The A2A object.",
          content:
            route.stream === true
              ? { "text/event-stream": { schema: z.string() } }
              : { "application/a2a+json": { schema: a2aJson } },
        },
        "4XX": {
          description: "An A2A error (`google.rpc.Status`).",
          content: { "application/json": { schema: restError } },
        },
      },
    });
  rest({
    method: "post",
    path: "/message:send",
    id: "a2aRestSendMessage",
    summary: "A2A: send a message",
    body: true,
  });
  rest({
    method: "post",
    path: "/message:stream",
    id: "a2aRestStreamMessage",
    summary: "A2A: send a message, stream the answer",
    body: true,
    stream: true,
  });
  rest({ method: "get", path: "/tasks", id: "a2aRestListTasks", summary: "A2A: list tasks" });
  rest({
    method: "get",
    path: "/tasks/{id}",
    id: "a2aRestGetTask",
    summary: "A2A: get a task",
    taskId: true,
  });
  rest({
    method: "post",
    path: "/tasks/{id}:cancel",
    id: "a2aRestCancelTask",
    summary: "A2A: cancel a task",
    taskId: true,
  });
  rest({
    method: "get",
    path: "/tasks/{id}:subscribe",
    id: "a2aRestSubscribeTask",
    summary: "A2A: follow a task",
    taskId: true,
    stream: true,
  });
  rest({
    method: "get",
    path: "/extendedAgentCard",
    id: "a2aRestExtendedAgentCard",
    summary: "A2A: the authenticated extended card",
  });

  const mcpRequest = builder.schema("JsonRpcRequest", JsonRpcRequest, "request");
  builder.path({
    method: "post",
    path: "/mcp/{agent}",
    operationId: "mcpRequest",
    summary: "The agent as an MCP server (Streamable HTTP, stateless)",
    description:
      "MCP JSON-RPC messages (`initialize`, `tools/list`, `tools/call` of `send_message`, `resources/list`, `resources/read`). Send `Accept: application/json, text/event-stream`; answers are JSON or SSE. No `Mcp-Session-Id` is issued.",
    tags: ["MCP"],
    request: {
      params: AgentParameter,
      body: { required: true, content: { "application/json": { schema: mcpRequest } } },
    },
    responses: {
      200: {
        description: "A JSON-RPC response, or SSE carrying it.",
        content: {
          "application/json": { schema: builder.schema("JsonRpcResponse", JsonRpcResponse, "response") },
          "text/event-stream": { schema: z.string() },
        },
      },
      202: { description: "A notification or response was accepted." },
      ...builder.errors("pluto", 400, 401, 404, 413, 429),
    },
  });
  for (const method of ["get", "delete"] as const) {
    builder.path({
      method,
      path: "/mcp/{agent}",
      operationId: method === "get" ? "mcpStreamNotOffered" : "mcpSessionEndNotOffered",
      summary:
        method === "get"
          ? "Server-to-client stream (not offered: 405)"
          : "End an MCP session (not offered: 405)",
      tags: ["MCP"],
      request: { params: AgentParameter },
      responses: {
        405: {
          description: "Stateless server: only POST. `Allow: POST`; a JSON-RPC error body.",
          content: {
            "application/json": { schema: builder.schema("JsonRpcResponse", JsonRpcResponse, "response") },
          },
        },
        ...builder.errors("pluto", 401),
      },
    });
  }
}

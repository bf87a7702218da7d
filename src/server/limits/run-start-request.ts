import type { Context } from "hono";
import { hasJsonRpcMethod, peekJsonBody } from "./peek-json-body.js";

/** Paths whose POST always starts a run. */
const RUN_PATHS = [
  /^\/api\/v1\/agents\/[^/]+\/runs\/?$/,
  /^\/api\/v1\/sessions\/[^/]+\/approvals\/[^/]+\/?$/,
  /^\/v1\/chat\/completions\/?$/,
  /^\/(?:ap|api)\/v1\/agent\/tasks\/[^/]+\/steps\/?$/,
  /^\/a2a\/.*\/message:(?:send|stream)$/,
];

/** JSON-RPC methods that start a run: A2A v0.3 and v1.0 message sends, and MCP tool calls. */
const RUN_METHODS = new Set([
  "message/send",
  "message/stream",
  "SendMessage",
  "SendStreamingMessage",
  "tools/call",
]);

/**
 * True when the request will start an agent run: `POST /api/v1/agents/{agent}/runs`,
 * `POST /v1/chat/completions`, Agent Protocol steps (`/ap/v1/…/steps` and the `/api/v1` alias), the
 * A2A HTTP+JSON `…/message:send|stream`, and JSON-RPC posts under `/a2a/` and `/mcp/` whose method
 * (or one method of a batch) is a message send or `tools/call`. JSON-RPC bodies are read from a clone
 * of the request, so the route still reads the original; unparsable bodies count as no run.
 */
export async function isRunStartRequest(context: Context): Promise<boolean> {
  if (context.req.method !== "POST") return false;
  const path = context.req.path;
  if (RUN_PATHS.some((pattern) => pattern.test(path))) return true;
  if (!path.startsWith("/a2a/") && !path.startsWith("/mcp/")) return false;
  return hasJsonRpcMethod(await peekJsonBody(context), RUN_METHODS);
}

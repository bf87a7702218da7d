import type { Context } from "hono";
import { hasJsonRpcMethod, peekJsonBody } from "../limits/peek-json-body.js";

/** A2A JSON-RPC methods answered with SSE (v0.3 and v1.0 names). */
const STREAM_METHODS = new Set([
  "message/stream",
  "tasks/resubscribe",
  "SendStreamingMessage",
  "SubscribeToTask",
]);

/** A2A HTTP+JSON routes answered with SSE. */
const STREAM_PATHS = [/\/message:stream$/, /\/tasks\/[^/]+:subscribe$/];

/** True for a WebSocket upgrade request. */
export function isWebSocketUpgrade(context: Context): boolean {
  return context.req.header("upgrade")?.toLowerCase() === "websocket";
}

/**
 * True when the request asks for a stream: a WebSocket upgrade, `Accept: text/event-stream` (session
 * events), the A2A `…/message:stream` and `…/tasks/{id}:subscribe` routes, or a POST whose JSON body
 * has `"stream": true` (runs, chat completions) or an A2A streaming JSON-RPC method. Bodies are read
 * from a clone, so the route still reads the original.
 */
export async function isStreamRequest(context: Context): Promise<boolean> {
  if (isWebSocketUpgrade(context)) return true;
  if ((context.req.header("accept") ?? "").includes("text/event-stream")) return true;
  if (context.req.method !== "POST") return false;
  if (STREAM_PATHS.some((pattern) => pattern.test(context.req.path))) return true;
  const body = await peekJsonBody(context);
  if (typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true)
    return true;
  return hasJsonRpcMethod(body, STREAM_METHODS);
}

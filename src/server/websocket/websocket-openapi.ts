import { z } from "zod";
import type { OpenApiBuilder } from "../openapi/openapi-builder.js";

/**
 * Registers `GET /api/v1/ws` (docs/websocket.md) in the OpenAPI document. OpenAPI cannot describe the
 * messages of a WebSocket, so the operation documents the upgrade (101) and its refusals, and points to
 * the protocol document. Its only success is 101, so linters report `operation-2xx-response` for it.
 */
export function registerWebSocketPath(builder: OpenApiBuilder): void {
  builder.path({
    method: "get",
    path: "/api/v1/ws",
    operationId: "openEventSocket",
    summary: "WebSocket: the session event stream over one socket",
    description:
      'Upgrades to a WebSocket (send `Connection: Upgrade`, `Upgrade: websocket`). Client messages are JSON text frames: `{"type":"subscribe","session_id","after"}` replays a session after a `seq` and follows it live, `{"type":"unsubscribe","session_id"}`, `{"type":"run","agent","input","session_id"}` starts a run whose events arrive as they happen, `{"type":"abort","run_id"}`, `{"type":"decide-approval","session_id","tool_call_id","decision","reason"}` decides a tool call waiting for approval and streams the continued run. The server sends `{"type":"event","session_id","event"}` (the `SessionEvent` SSE carries) and `{"type":"error","error":{"code","message"}}`; frames larger than `server.max_body_bytes` close the socket with 1009. Browsers authenticate with the login cookie and must send an `Origin` of this host. See docs/websocket.md.',
    tags: ["Agents and runs"],
    request: {
      headers: z.object({
        upgrade: z.literal("websocket").describe("Required: this endpoint only upgrades."),
      }),
    },
    responses: {
      101: { description: "Switching Protocols: the socket is open." },
      ...builder.errors("pluto", 400, 401, 403, 404, 429),
    },
  });
}

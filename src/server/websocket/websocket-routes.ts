import { upgradeWebSocket } from "@hono/node-server";
import { Hono } from "hono";
import type { WSContext } from "hono/ws";
import { PlutoError } from "../../core/errors.js";
import type { RunManager } from "../../runs/run-manager.js";
import type { SessionStore } from "../../services/session/session-store.js";
import { type AppEnv, identityOf } from "../request-identity.js";
import { WebSocketConnection } from "./websocket-connection.js";
import type { ServerMessage } from "./websocket-protocol.js";

/** Options for {@link websocketRoutes} (the app's options satisfy them). */
export interface WebSocketRouteOptions {
  /** The app's runs (counted against per-tenant run limits). */
  runs: RunManager;
  sessions: SessionStore;
  onUnexpectedError?: (error: unknown) => void;
  /** Sessions one socket may follow at once. @default 100 */
  maxSessionsPerSocket?: number;
  /**
   * Bytes a socket may have queued for sending; a client that reads slower than its events arrive is closed
   * with 1013 (try again later) rather than let the queue grow without bound. @default 16777216 (16 MiB)
   */
  maxBufferedBytes?: number;
}

/** Close code for a client that does not keep up with its events (RFC 6455 registry: "Try Again Later"). */
export const CLOSE_TOO_SLOW = 1013;

/**
 * `GET /ws`: upgrades to a WebSocket carrying the session event stream (docs/websocket.md). Mounted under
 * `/api/v1`, after the auth middleware, so the upgrade request authenticates like any API call (bearer
 * header, or the login cookie for browsers; never a query token) and the socket belongs to that tenant.
 * Pages of other sites are refused before that, by the app's origin guard
 * (`security/request-origin-guard.ts`, 403 `ORIGIN_NOT_ALLOWED`). The server must be started with a
 * WebSocket server (`startServer`'s `websocket` option).
 * @throws PlutoError `BAD_REQUEST` without `Upgrade: websocket`; `NOT_FOUND` when the HTTP server was
 *   started without WebSocket support.
 */
export function websocketRoutes(options: WebSocketRouteOptions): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/ws", async (context) => {
    if (context.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new PlutoError(
        "BAD_REQUEST",
        "GET /api/v1/ws is a WebSocket endpoint: connect with a WebSocket client (it sends Upgrade: websocket). See docs/websocket.md.",
      );
    }
    // Only @hono/node-server hands the route its Node request (`env.incoming`); `app.request` does not.
    if (typeof context.env !== "object" || context.env === null || !("incoming" in context.env)) {
      throw notEnabled();
    }
    const tenant = identityOf(context).tenant;
    const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    let connection: WebSocketConnection | undefined;
    const response = await upgradeWebSocket(context, {
      onOpen: (_event, socket) => {
        connection = new WebSocketConnection({
          tenant,
          runs: options.runs,
          sessions: options.sessions,
          send: (message) => sendMessage(socket, message, maxBuffered),
          ...(options.onUnexpectedError === undefined
            ? {}
            : { onUnexpectedError: options.onUnexpectedError }),
          ...(options.maxSessionsPerSocket === undefined
            ? {}
            : { maxSessions: options.maxSessionsPerSocket }),
        });
      },
      onMessage: (event) => {
        if (typeof event.data === "string") void connection?.handleText(event.data);
        else connection?.handleBinary();
      },
      onClose: () => connection?.close(),
      onError: () => connection?.close(),
    });
    // @hono/node-server answers 500 when the HTTP server has no WebSocket server attached.
    if (response.status === 500) throw notEnabled();
    return response;
  });
  return routes;
}

function notEnabled(): PlutoError {
  return new PlutoError(
    "NOT_FOUND",
    "WebSocket is not enabled on this server: it was started without a WebSocket server (startServer's websocket option). Use the SSE routes instead.",
  );
}

/** Sends one message unless the socket is closing; closes a socket whose send queue passed `maxBuffered`. */
function sendMessage(socket: WSContext, message: ServerMessage, maxBuffered: number): void {
  if (socket.readyState !== 1) return;
  const buffered = (socket.raw as { bufferedAmount?: unknown } | undefined)?.bufferedAmount;
  if (typeof buffered === "number" && buffered > maxBuffered) {
    socket.close(CLOSE_TOO_SLOW, "Client too slow: events are queued faster than it reads them.");
    return;
  }
  socket.send(JSON.stringify(message));
}

import { upgradeWebSocket } from "@hono/node-server";
import { Hono } from "hono";
import type { WebSocket } from "ws";
import { PlutoError } from "../../core/errors.js";
import type { RunManager } from "../../runs/run-manager.js";
import type { SessionStore } from "../../services/session/session-store.js";
import { rateRefusal } from "../limits/tenant-limits.js";
import type { TenantRateLimiter } from "../limits/tenant-rate-limiter.js";
import { type AppEnv, identityOf } from "../request-identity.js";
import type { SocketCredentials } from "./socket-credentials.js";
import { SocketWriter } from "./socket-writer.js";
import { WebSocketConnection } from "./websocket-connection.js";

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
  /** Milliseconds queued messages may make no progress before the socket is closed with 1013. @default 30000 */
  slowReaderTimeoutMs?: number;
  /** The tenant request rate; each client frame takes one request (answered `LIMIT_EXCEEDED` when refused). */
  rate?: TenantRateLimiter;
  /** Open sockets' API keys, re-checked so a revoked key's sockets close (absent without API keys). */
  credentials?: SocketCredentials;
}

/** Close code for a socket whose API key was revoked or expired (RFC 6455 §7.4.1: policy violation). */
export const CLOSE_CREDENTIAL_REVOKED = 1008;

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
    const { tenant, keyId } = identityOf(context);
    const { rate, credentials } = options;
    let connection: WebSocketConnection | undefined;
    let writer: SocketWriter | undefined;
    let unregister: (() => void) | undefined;
    const closed = () => {
      connection?.close();
      writer?.close();
      unregister?.();
    };
    const response = await upgradeWebSocket(context, {
      onOpen: (_event, socket) => {
        const raw = socket.raw as WebSocket;
        const socketWriter = new SocketWriter(raw, {
          maxBufferedBytes: options.maxBufferedBytes ?? 16 * 1024 * 1024,
          slowReaderTimeoutMs: options.slowReaderTimeoutMs ?? 30_000,
        });
        writer = socketWriter;
        if (credentials !== undefined && keyId !== undefined) {
          unregister = credentials.register(keyId, () =>
            raw.close(CLOSE_CREDENTIAL_REVOKED, "The API key of this socket was revoked or expired."),
          );
        }
        connection = new WebSocketConnection({
          tenant,
          runs: options.runs,
          sessions: options.sessions,
          send: (message) => socketWriter.send(message),
          flush: () => socketWriter.flush(),
          ...(rate === undefined ? {} : { admit: () => rateRefusal(rate, tenant) }),
          ...(credentials === undefined || keyId === undefined
            ? {}
            : { checkCredential: () => credentials.check(keyId) }),
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
      onClose: closed,
      onError: closed,
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

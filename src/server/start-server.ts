import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { ServerTimeouts } from "../config/pluto-config.js";
import { PlutoError } from "../core/errors.js";
import { drainUnreadBody } from "./unread-body-drain.js";
import type { WebSocketTransport } from "./websocket/websocket-server.js";

/** A listening HTTP server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:7400`. */
  url: string;
  port: number;
  /** Stops accepting connections and closes idle ones; open SSE streams and WebSockets are ended. */
  close(): Promise<void>;
}

/** True for loopback hosts (`localhost`, 127.0.0.0/8, `::1`). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Defaults of `server.timeouts` (docs/configuration.md). */
export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = {
  headersMs: 10_000,
  requestMs: 120_000,
  keepAliveMs: 5_000,
  maxConnections: 20_000,
};

/**
 * Listens with `app` on `host:port` (port 0 picks a free one).
 * Binding a non-loopback address without an auth token is refused (issue "v0.1 core", HTTP).
 * `timeouts` (default {@link DEFAULT_SERVER_TIMEOUTS}) become Node's `headersTimeout` (checked every
 * second at most, so slow-header clients are cut close to it), `requestTimeout` (the whole request;
 * answered 408 and closed), `keepAliveTimeout` and `maxConnections` (further connections are closed at
 * once). None of them limits a response, so SSE streams and WebSockets live on. An answer sent before
 * its body was read reaches the client (`drainUnreadBody`).
 * @throws PlutoError `CONFIG_INVALID` for that case; the listen error (e.g. EADDRINUSE) with a fix otherwise.
 */
export async function startServer(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  options: {
    host: string;
    port: number;
    authToken?: string;
    /** `server.timeouts`. @default DEFAULT_SERVER_TIMEOUTS */
    timeouts?: ServerTimeouts;
    /** Accept WebSocket upgrades (`createWebSocketServer`); the app's `/api/v1/ws` route uses it. */
    websocket?: WebSocketTransport;
  },
): Promise<RunningServer> {
  if (!isLoopbackHost(options.host) && options.authToken === undefined) {
    throw new PlutoError(
      "CONFIG_INVALID",
      `Refusing to listen on ${options.host} without authentication: anyone on the network could run your agents. Set server.auth.token in pluto.yaml (e.g. token: \${PLUTO_TOKEN}) or bind 127.0.0.1.`,
    );
  }
  const timeouts = options.timeouts ?? DEFAULT_SERVER_TIMEOUTS;
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: options.host,
    port: options.port,
    serverOptions: {
      headersTimeout: timeouts.headersMs,
      // Node wants the request timeout no shorter than the headers timeout (0 turns it off).
      requestTimeout: timeouts.requestMs === 0 ? 0 : Math.max(timeouts.requestMs, timeouts.headersMs),
      keepAliveTimeout: timeouts.keepAliveMs,
      // Node checks both timeouts on this interval (30 s by default), so a short one would be overrun.
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
    },
    ...(options.websocket === undefined ? {} : { websocket: { server: options.websocket.server } }),
  });
  server.maxConnections = timeouts.maxConnections;
  // Before the app's listener, so the drain is set up before any answer can finish.
  server.prependListener("request", (request, response) => drainUnreadBody(request, response));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new PlutoError(
              "CONFIG_INVALID",
              `Port ${options.port} on ${options.host} is already in use. Stop the other process or choose another port with --port or server.port.`,
              { cause: error },
            )
          : error,
      );
    };
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        const closable = server as { closeAllConnections?: () => void };
        options.websocket?.closeAll();
        server.close(() => resolve());
        closable.closeAllConnections?.();
      }),
  };
}

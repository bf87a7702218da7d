import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { PlutoError } from "../core/errors.js";
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

/**
 * Listens with `app` on `host:port` (port 0 picks a free one).
 * Binding a non-loopback address without an auth token is refused (issue "v0.1 core", HTTP).
 * @throws PlutoError `CONFIG_INVALID` for that case; the listen error (e.g. EADDRINUSE) with a fix otherwise.
 */
export async function startServer(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  options: {
    host: string;
    port: number;
    authToken?: string;
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
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: options.host,
    port: options.port,
    ...(options.websocket === undefined ? {} : { websocket: { server: options.websocket.server } }),
  });
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

import { type WebSocket, WebSocketServer } from "ws";

/** Options for {@link createWebSocketServer}. */
export interface WebSocketServerOptions {
  /**
   * Largest message a client may send, in bytes; a larger frame closes the socket with 1009 (message too
   * big, RFC 6455 §7.4.1). `pluto serve` uses `server.max_body_bytes`. @default 1048576 (1 MiB)
   */
  maxPayloadBytes?: number;
  /** Milliseconds between pings; a client that has not answered the previous ping is dropped. @default 30000 */
  pingIntervalMs?: number;
}

/** The WebSocket side of a server: give `server` to `startServer`, which calls `closeAll` when stopping. */
export interface WebSocketTransport {
  /** A `ws` server in `noServer` mode: @hono/node-server hands it the upgrades the app accepted. */
  server: WebSocketServer;
  /** Closes every open socket with 1001 (going away) and stops pinging; sockets still open after 2 s are cut. */
  closeAll(): void;
}

/**
 * Creates the WebSocket server for `startServer` (the `ws` package, the one @hono/node-server drives).
 * Pings every socket so idle proxies keep it open and dead peers are noticed.
 */
export function createWebSocketServer(options: WebSocketServerOptions = {}): WebSocketTransport {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
    // Compression would let a small frame inflate past maxPayload's intent and costs CPU per event.
    perMessageDeflate: false,
  });
  const alive = new WeakSet<WebSocket>();
  server.on("connection", (socket) => {
    alive.add(socket);
    socket.on("pong", () => alive.add(socket));
  });
  const ping = setInterval(() => {
    for (const socket of server.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, options.pingIntervalMs ?? 30_000);
  ping.unref();
  return {
    server,
    closeAll() {
      clearInterval(ping);
      for (const socket of server.clients) socket.close(1001, "Server stopping.");
      const cut = setTimeout(() => {
        for (const socket of server.clients) socket.terminate();
      }, 2_000);
      cut.unref();
    },
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";

/** Options for {@link drainUnreadBody}. */
export interface UnreadBodyDrainOptions {
  /** Bytes of an unread body read and discarded before the connection is closed. @default 67108864 (64 MiB) */
  maxBytes?: number;
  /** Time the rest of the body may take to arrive, in ms, before the connection is closed. @default 30000 */
  maxMs?: number;
  /** After closing, how long the rest is still read and discarded, in ms, before the socket is cut. @default 2000 */
  lingerMs?: number;
}

/**
 * Makes an answer sent before its request body was read (413 for an oversized body, 401 for an upload
 * without a credential) reach the client. Without this the server closes a socket with unread bytes in
 * its receive buffer; the kernel then resets the connection, and a client still uploading loses the
 * answer (ECONNRESET or EPIPE instead of the status line).
 * Once `response` has finished and `request` has not, the rest of the body is read and discarded, up to
 * `maxBytes` within `maxMs`; the connection then stays usable (keep-alive). Past either bound, and when
 * Node closes the connection anyway (`Connection: close`, HTTP/1.0), it is half-closed (FIN after the
 * answer) while reading goes on for `lingerMs`, then destroyed (the "lingering close" of RFC 9112,
 * section 9.6). Call it for every request before the app sees it.
 */
export function drainUnreadBody(
  request: IncomingMessage,
  response: ServerResponse,
  options: UnreadBodyDrainOptions = {},
): void {
  // Before Node's own "finish" handler, which may already close the socket.
  response.prependOnceListener("finish", () => {
    if (request.complete || request.destroyed) return;
    const socket = request.socket;
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    let received = 0;
    let closing = false;
    const originalDestroySoon = socket.destroySoon.bind(socket);
    const close = () => {
      if (closing) return;
      closing = true;
      clearTimeout(timer);
      socket.end();
      setTimeout(() => socket.destroy(), options.lingerMs ?? 2_000).unref();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) close();
    };
    const done = () => {
      clearTimeout(timer);
      request.off("data", onData);
      socket.destroySoon = originalDestroySoon;
      // Nothing is left unread, so closing now sends a FIN, not a reset.
      if (closing) socket.destroy();
    };
    const timer = setTimeout(close, options.maxMs ?? 30_000);
    timer.unref();
    // Node ends a connection it will not keep alive with destroySoon: turn that into the lingering close.
    socket.destroySoon = close;
    // The app may have started reading (a web stream over the request); nobody reads it any more, so
    // its listeners go, as in Node's own `IncomingMessage._dump`.
    request.removeAllListeners("data");
    request.on("data", onData);
    request.once("end", done);
    request.once("close", done);
    request.resume();
  });
}

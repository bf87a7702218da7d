import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import type { PlutoError } from "../../core/errors.js";
import { statusForCode } from "../error-status.js";
import { type AppEnv, identityOf } from "../request-identity.js";
import { STREAM_RETRY_AFTER_SECONDS, type StreamLimiter } from "./stream-limiter.js";
import { isStreamRequest, isWebSocketUpgrade } from "./stream-request.js";

/** Options for {@link streamGuard}. */
export interface StreamGuardOptions {
  /** Counts open streams per tenant and in total. */
  limiter: StreamLimiter;
  /**
   * Milliseconds one write to a stream may wait for the client to read (the socket staying full);
   * past it the connection is closed and its stream released. Must be > 0.
   */
  slowReaderTimeoutMs: number;
}

/** What @hono/node-server puts in `context.env`; absent under `app.request`. */
interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/**
 * The one choke point for streams (mount it after authentication; the tenant comes from the caller's
 * identity). Every response with `Content-Type: text/event-stream` (native runs and session events,
 * OpenAI chat completions, A2A, whatever route comes next) and every WebSocket upgrade counts against
 * the tenant's and the process's stream caps while it is open; over a cap the request gets 429
 * `LIMIT_EXCEEDED` (tenant) or 503 `SERVER_BUSY` (process) with `Retry-After`, before the route runs
 * when the request shows it wants a stream (`isStreamRequest`). SSE bodies are pulled one chunk at a
 * time (the Node adapter waits for `drain` before pulling the next, so back-pressure reaches the
 * route's `await write`), and a chunk the client has not taken within `slowReaderTimeoutMs` closes the
 * connection. WebSockets apply the same timeout themselves (websocket-routes.ts).
 */
export function streamGuard(options: StreamGuardOptions): MiddlewareHandler<AppEnv> {
  const { limiter } = options;
  return async (context, next) => {
    const tenant = identityOf(context).tenant;
    const bindings = (context.env ?? {}) as NodeBindings;
    if (isWebSocketUpgrade(context)) {
      const release = limiter.acquire(tenant);
      try {
        await next();
      } finally {
        // @hono/node-server answers an accepted upgrade with an empty 200 and then takes over the socket.
        const socket = bindings.incoming?.socket;
        const upgraded = context.error === undefined && context.res.status < 300;
        if (upgraded && socket !== undefined && !socket.destroyed) socket.once("close", release);
        else release();
      }
      return undefined;
    }
    const refused = limiter.refusal(tenant);
    if (refused !== undefined && (await isStreamRequest(context))) return refusal(context, refused);
    await next();
    const response = context.res;
    if (
      response.body === null ||
      !(response.headers.get("content-type") ?? "").startsWith("text/event-stream")
    ) {
      return;
    }
    let release: () => void;
    try {
      release = limiter.acquire(tenant);
    } catch (error) {
      // Another stream took the last slot while the route ran: end this one before it starts.
      await response.body.cancel().catch(() => {});
      return refusal(context, error as PlutoError);
    }
    const body = guardBody(response.body, {
      timeoutMs: options.slowReaderTimeoutMs,
      release,
      ...(bindings.outgoing === undefined ? {} : { outgoing: bindings.outgoing }),
    });
    context.res = new Response(body, { status: response.status, headers: response.headers });
    return undefined;
  };
}

function refusal(context: Context, error: PlutoError): Response {
  const seconds = error.details?.retry_after_seconds;
  return context.json({ error: error.toJSON() }, statusForCode(error.code), {
    "Retry-After": String(typeof seconds === "number" ? seconds : STREAM_RETRY_AFTER_SECONDS),
  });
}

/**
 * Re-exposes `body` with no read-ahead (high-water mark 0): a chunk is pulled from the route only when
 * the server asks for one, so the route's writes wait while the client does not read. A chunk still
 * not followed by the next request after `timeoutMs` means the client stopped reading: the connection
 * is destroyed (or, without a Node response, the stream errored). `release` runs once, when the body
 * ends, is cancelled (the client left) or is cut.
 */
function guardBody(
  body: ReadableStream<Uint8Array>,
  options: { timeoutMs: number; release: () => void; outgoing?: ServerResponse },
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  // One timer per stream, re-armed on every chunk; `waiting` says a chunk is still not taken.
  // Armed from the start: a consumer that never asks for the first chunk is as slow as one that stops.
  let waiting = true;
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const finish = () => {
    waiting = false;
    clearTimeout(timer);
    options.release();
  };
  const cut = () => {
    if (!waiting) return;
    finish();
    void reader.cancel(new Error("The client stopped reading.")).catch(() => {});
    if (options.outgoing !== undefined) options.outgoing.destroy();
    else controller?.error(new Error("The client stopped reading."));
  };
  const timer = setTimeout(cut, options.timeoutMs);
  timer.unref();
  return new ReadableStream<Uint8Array>(
    {
      start(streamController) {
        controller = streamController;
      },
      async pull(streamController) {
        waiting = false;
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          finish();
          streamController.error(error);
          return;
        }
        if (result.done) {
          finish();
          streamController.close();
          return;
        }
        streamController.enqueue(result.value);
        waiting = true;
        timer.refresh();
      },
      async cancel(reason) {
        finish();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

import { formatSSEErrorEvent, formatSSEEvent, SSE_HEADERS } from "@a2a-js/sdk";

/** Options of {@link sseResponse}. */
export interface SseResponseOptions<T> {
  /** The stream's events; the first one was already pulled (so errors before it could be answered as JSON). */
  first: IteratorResult<T, void>;
  rest: AsyncIterator<T, void, undefined>;
  /** Turns an event into the JSON written after `data:`. */
  encode: (event: T) => unknown;
  /** The body of the `event: error` frame for an error after the stream started. */
  encodeError: (error: unknown) => unknown;
  headers?: Record<string, string>;
}

/**
 * A web-standard SSE `Response` in the SDK's framing (`data: <json>\n\n` per event, `event: error` for
 * a failure after the headers went out; the SDK's `formatSSEEvent`), so the SDK's clients parse it as
 * they parse the SDK's own Express handlers. When the client goes away the iterator is returned, which
 * ends the SDK's event queue for this request (the run itself goes on; tasks outlive connections).
 */
export function sseResponse<T>(options: SseResponseOptions<T>): Response {
  const encoder = new TextEncoder();
  let first: IteratorResult<T, void> | undefined = options.first;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const result = first ?? (await options.rest.next());
        first = undefined;
        if (result.done === true) {
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(formatSSEEvent(options.encode(result.value))));
      } catch (error) {
        controller.enqueue(encoder.encode(formatSSEErrorEvent(options.encodeError(error))));
        controller.close();
      }
    },
    async cancel() {
      await options.rest.return?.();
    },
  });
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...options.headers } });
}

/** True for a value the SDK's transports return as a stream. */
export function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

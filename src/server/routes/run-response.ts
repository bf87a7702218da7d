import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { isPlutoError } from "../../core/errors.js";
import type { RunEndEvent } from "../../core/events.js";
import type { SessionListener } from "../../runs/event-bus.js";
import type { RunHandle } from "../../runs/run-manager.js";
import type { AppOptions } from "../app-options.js";
import { EventQueue, writeEvent } from "../sse.js";

/** JSON answer of a finished run. */
export function runJson(runId: string, sessionId: string, end: RunEndEvent) {
  return {
    run_id: runId,
    session_id: sessionId,
    status: end.status,
    output: end.output ?? "",
    steps: end.steps,
    usage: end.usage,
    ...(end.error === undefined ? {} : { error: end.error }),
  };
}

/**
 * Answers a request that queues a run: with `stream` false, waits and sends {@link runJson}; else sends
 * the run's events as SSE (headers `x-pluto-run-id`, `x-pluto-session-id`) until its `run-end`.
 * `start` receives the listener to subscribe before the run is queued. A result that ends without a run
 * of its own (an approval decision while other calls still wait) sends the run-end it resolved with
 * (JSON), or ends the stream after the events its work published (SSE).
 */
export async function runResponse(
  context: Context,
  options: Pick<AppOptions, "onUnexpectedError">,
  request: { stream: boolean; start: (listener?: SessionListener) => Promise<RunHandle> },
): Promise<Response> {
  if (!request.stream) {
    const handle = await request.start();
    const end = await handle.result;
    return context.json(runJson(end.runId, handle.key.session, end));
  }
  const queue = new EventQueue();
  const handle = await request.start((events) => queue.push(events));
  context.header("x-pluto-run-id", handle.runId);
  context.header("x-pluto-session-id", handle.key.session);
  // `result` rejects when the session log itself fails (or a decision lost a race): then no run-end will
  // arrive, so end the stream with an `error` frame in the HTTP error format instead of waiting forever.
  let failure: unknown;
  let ownEvents = true;
  handle.result.then(
    (end) => {
      // Everything the work wrote was published before `result` settled, so the queue holds it all.
      if (end.runId !== handle.runId) {
        ownEvents = false;
        queue.close();
      }
    },
    (error: unknown) => {
      failure = error;
      if (!isPlutoError(error)) options.onUnexpectedError?.(error);
      queue.close();
    },
  );
  return streamSSE(context, async (stream) => {
    stream.onAbort(() => queue.close());
    try {
      let ended = false;
      for await (const event of queue.drain()) {
        if (event.runId !== handle.runId && event.type !== "tool-approval-response") continue;
        await writeEvent(stream, event);
        if (event.type === "run-end") {
          ended = true;
          break;
        }
      }
      if (!ended && ownEvents && failure !== undefined && !stream.aborted) {
        const error = isPlutoError(failure)
          ? failure.toJSON()
          : { code: "INTERNAL", message: "Internal error; the server log has the details." };
        await stream.writeSSE({ event: "error", data: JSON.stringify({ error }) });
      }
    } finally {
      handle.unsubscribe();
      queue.close();
    }
  });
}

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { isPlutoError, PlutoError } from "../../core/errors.js";
import type { RunEndEvent } from "../../core/events.js";
import type { AppOptions } from "../app.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";
import { CreateRunBody } from "../schemas.js";
import { EventQueue, writeEvent } from "../sse.js";

/** JSON answer of a finished run. */
function runJson(runId: string, sessionId: string, end: RunEndEvent) {
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

/** `POST /agents/{agent}/runs` (JSON or SSE) and `POST /runs/{id}/abort`. */
export function runRoutes(options: AppOptions): Hono {
  const routes = new Hono();

  routes.post("/agents/:agent/runs", async (context) => {
    const agentName = context.req.param("agent");
    const body = await readJsonBody(context, CreateRunBody);
    const start = {
      tenant: identityOf(context).tenant,
      agent: agentName,
      input: body.input,
      ...(body.session_id === undefined ? {} : { sessionId: body.session_id }),
    };
    if (body.stream !== true) {
      const handle = await options.runs.start(start);
      const end = await handle.result;
      return context.json(runJson(handle.runId, handle.key.session, end));
    }

    const queue = new EventQueue();
    const handle = await options.runs.start({ ...start, listener: (events) => queue.push(events) });
    context.header("x-pluto-run-id", handle.runId);
    context.header("x-pluto-session-id", handle.key.session);
    // `result` rejects only when the session log itself fails; then no run-end will ever arrive, so end
    // the stream with an `error` frame in the HTTP error format instead of waiting forever.
    let failure: unknown;
    handle.result.catch((error: unknown) => {
      failure = error;
      if (!isPlutoError(error)) options.onUnexpectedError?.(error);
      queue.close();
    });
    return streamSSE(context, async (stream) => {
      stream.onAbort(() => queue.close());
      try {
        let ended = false;
        for await (const event of queue.drain()) {
          if (event.runId !== handle.runId) continue;
          await writeEvent(stream, event);
          if (event.type === "run-end") {
            ended = true;
            break;
          }
        }
        if (!ended && failure !== undefined && !stream.aborted) {
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
  });

  routes.post("/runs/:run/abort", (context) => {
    const runId = context.req.param("run");
    if (!options.runs.abort(runId, identityOf(context).tenant)) {
      throw new PlutoError(
        "RUN_NOT_FOUND",
        `No active run ${JSON.stringify(runId.slice(0, 80))}: it has ended or never existed.`,
      );
    }
    return context.json({ run_id: runId, aborted: true }, 202);
  });
  return routes;
}

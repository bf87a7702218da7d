import { Hono } from "hono";
import { PlutoError } from "../../core/errors.js";
import type { AppOptions } from "../app-options.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";
import { CreateRunBody } from "../schemas.js";
import { runResponse } from "./run-response.js";

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
    return runResponse(context, options, {
      stream: body.stream === true,
      start: (listener) => options.runs.start(listener === undefined ? start : { ...start, listener }),
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

import { Hono } from "hono";
import { PlutoError } from "../../core/errors.js";
import type { AppOptions } from "../app-options.js";
import { identityOf } from "../request-identity.js";
import { sessionEventsResponse } from "../streams/session-events-response.js";

/**
 * `GET /sessions/{id}/events?after=SEQ`: the session's events after SEQ as JSON, or, with
 * `Accept: text/event-stream`, as SSE that replays the log and then follows live runs until the
 * session is idle. SSE clients resume with `Last-Event-ID` (see streams/session-events-response.ts).
 */
export function sessionRoutes(options: AppOptions): Hono {
  const routes = new Hono();
  routes.get("/sessions/:session/events", async (context) => {
    const sessionId = context.req.param("session");
    const key = await options.runs.findSession(sessionId, identityOf(context).tenant);
    if (key === undefined) {
      throw new PlutoError(
        "SESSION_NOT_FOUND",
        `No session ${JSON.stringify(sessionId.slice(0, 80))}. Start one with POST /api/v1/agents/{agent}/runs.`,
      );
    }
    return sessionEventsResponse(context, { runs: options.runs, sessions: options.sessions, key });
  });
  return routes;
}

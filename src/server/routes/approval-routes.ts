import { Hono } from "hono";
import { PlutoError } from "../../core/errors.js";
import type { AppOptions } from "../app-options.js";
import { pendingApprovalList } from "../pending-approval-list.js";
import { readJsonBody } from "../request-body.js";
import { identityOf } from "../request-identity.js";
import { DecideApprovalBody } from "../schemas.js";
import { runResponse } from "./run-response.js";

/**
 * `GET /sessions/{session}/approvals` (the tool calls waiting for a decision) and
 * `POST /sessions/{session}/approvals/{tool_call_id}` (decide one; answered like a run: JSON, or SSE
 * with `stream: true`). Sessions are looked up in the caller's tenant only, so another tenant's session
 * or call id is 404 like a forged one (docs/approvals.md, "Who may decide").
 */
export function approvalRoutes(options: AppOptions): Hono {
  const routes = new Hono();

  routes.get("/sessions/:session/approvals", async (context) => {
    const sessionId = context.req.param("session");
    const key = await options.runs.findSession(sessionId, identityOf(context).tenant);
    if (key === undefined) throw sessionNotFound(sessionId);
    const approvals = pendingApprovalList(await options.sessions.read(key));
    return context.json({ session_id: key.session, agent: key.agent, approvals });
  });

  routes.post("/sessions/:session/approvals/:tool_call_id", async (context) => {
    const sessionId = context.req.param("session");
    const toolCallId = context.req.param("tool_call_id");
    const body = await readJsonBody(context, DecideApprovalBody);
    const request = {
      tenant: identityOf(context).tenant,
      sessionId,
      toolCallId,
      approved: body.decision === "approve",
      ...(body.reason === undefined ? {} : { reason: body.reason }),
    };
    return runResponse(context, options, {
      stream: body.stream === true,
      start: async (listener) => {
        try {
          return await options.runs.decide(listener === undefined ? request : { ...request, listener });
        } catch (error) {
          // A session id that is not even a safe name cannot exist: answer like any unknown session.
          if (error instanceof PlutoError && error.code === "INVALID_NAME") throw sessionNotFound(sessionId);
          throw error;
        }
      },
    });
  });
  return routes;
}

function sessionNotFound(sessionId: string): PlutoError {
  return new PlutoError(
    "SESSION_NOT_FOUND",
    `No session ${JSON.stringify(sessionId.slice(0, 80))} in your tenant. Check the session id the run answered with.`,
  );
}

import { z } from "zod";
import { DecideApprovalBody } from "../schemas.js";
import { EventStream } from "./native-api-paths.js";
import { RunResultResponse } from "./native-api-schemas.js";
import type { OpenApiBuilder } from "./openapi-builder.js";

/** `GET /api/v1/sessions/{session}/approvals`: the calls waiting for a decision. */
const PendingApprovalsResponse = z.object({
  session_id: z.string(),
  agent: z.string(),
  approvals: z.array(
    z.object({
      tool_call_id: z.string(),
      tool_name: z.string().describe("Full tool name, `<server>__<tool>` for MCP tools."),
      input: z.unknown().describe("The call's arguments as the model wrote them."),
      reason: z.string().optional().describe("The policy rule's `reason`."),
      run_id: z.string().describe("The run that ended `awaiting-approval`."),
      requested_at: z.string().describe("ISO-8601 time of the request."),
    }),
  ),
});

const SessionParameter = z.string().describe("Session id, e.g. the `session_id` of a run.");

/** Registers the approval routes (docs/approvals.md). */
export function registerApprovalPaths(builder: OpenApiBuilder): void {
  const tags = ["Approvals"];
  builder.path({
    method: "get",
    path: "/api/v1/sessions/{session}/approvals",
    operationId: "listApprovals",
    summary: "List the tool calls waiting for approval",
    description:
      "The tool calls of the session's last run, when it ended `awaiting-approval`, that nobody decided yet. Empty when nothing waits.",
    tags,
    request: { params: z.object({ session: SessionParameter }) },
    responses: {
      200: {
        description: "The pending approvals.",
        content: {
          "application/json": {
            schema: builder.schema("PendingApprovals", PendingApprovalsResponse, "response"),
          },
        },
      },
      ...builder.errors("pluto", 401, 404, 429),
    },
  });
  builder.path({
    method: "post",
    path: "/api/v1/sessions/{session}/approvals/{tool_call_id}",
    operationId: "decideApproval",
    summary: "Approve or deny one waiting tool call",
    description:
      "Records the decision in the session log. When it was the last call waiting, the run continues (an approved call runs once, a denied one reaches the model as refused) and the answer is the continued run, like `createRun` (JSON, or SSE with `stream: true`); otherwise it is the waiting run, still `awaiting-approval`. A decision counts once: 409 when the call was decided already, 404 when no such call waits in this session of your tenant.",
    tags,
    request: {
      params: z.object({
        session: SessionParameter,
        tool_call_id: z
          .string()
          .describe("`tool_call_id` from the approvals list or the `tool-approval-request` event."),
      }),
      body: {
        required: true,
        content: {
          "application/json": { schema: builder.schema("DecideApprovalBody", DecideApprovalBody, "request") },
        },
      },
    },
    responses: {
      200: {
        description: "The continued run (JSON), or its events as SSE when `stream` is true.",
        content: {
          "application/json": { schema: builder.schema("RunResult", RunResultResponse, "response") },
          "text/event-stream": { schema: EventStream },
        },
      },
      ...builder.errors("pluto", 400, 401, 404, 409, 413, 429),
    },
  });
}

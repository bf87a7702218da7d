import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { errorMessage, isPlutoError } from "../../core/errors.js";
import type { RunEndEvent } from "../../core/events.js";
import type { RunHandle, RunManager } from "../../runs/run-manager.js";
import { pendingApprovalList } from "../pending-approval-list.js";

/** Name of the tool that decides a pending approval (see `decide-approval-tool.ts`). */
export const DECIDE_APPROVAL_TOOL = "decide_approval";

/** `structuredContent` of `send_message` and `decide_approval`: how the (continued) run ended. */
export const runOutputSchema = {
  session_id: z.string().describe("Pass this back as session_id to continue the conversation."),
  run_id: z.string(),
  status: z.enum(["completed", "failed", "aborted", "awaiting-approval"]),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() }),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  approvals: z
    .array(
      z.object({
        tool_call_id: z.string(),
        tool_name: z.string(),
        input: z.unknown(),
        reason: z.string().optional(),
        run_id: z.string(),
        requested_at: z.string(),
      }),
    )
    .optional()
    .describe(
      `With status awaiting-approval: the tool calls waiting for ${DECIDE_APPROVAL_TOOL}, oldest first.`,
    ),
};

/**
 * The MCP answer for a run that ended with `end`: its final text when `completed`; when
 * `awaiting-approval`, a text naming each pending call id and `decide_approval`, with the pending calls
 * (read from the session log) in `structuredContent.approvals`; otherwise an `isError` result naming
 * the error code.
 */
export async function runToolResult(
  runs: RunManager,
  handle: RunHandle,
  end: RunEndEvent,
): Promise<CallToolResult> {
  const structuredContent = {
    session_id: handle.key.session,
    run_id: handle.runId,
    status: end.status,
    usage: {
      input_tokens: end.usage.inputTokens,
      output_tokens: end.usage.outputTokens,
      total_tokens: end.usage.totalTokens,
    },
    ...(end.error === undefined ? {} : { error: end.error }),
  };
  if (end.status === "completed") {
    return { content: [{ type: "text", text: end.output ?? "" }], structuredContent };
  }
  if (end.status === "awaiting-approval") {
    const approvals = pendingApprovalList(await runs.touch(handle.key));
    const calls = approvals.map((approval) => `${approval.tool_call_id} (${approval.tool_name})`).join(", ");
    const note = `(The run is waiting for a human to approve tool call ${calls}. Decide with ${DECIDE_APPROVAL_TOOL} {session_id: "${handle.key.session}", tool_call_id, decision: "approve" | "deny"}.)`;
    const text = end.output === undefined ? note : `${end.output}\n\n${note}`;
    return { content: [{ type: "text", text }], structuredContent: { ...structuredContent, approvals } };
  }
  const error = end.error ?? { code: "INTERNAL", message: `The run ended with status ${end.status}.` };
  return {
    content: [{ type: "text", text: `The agent's run ${end.status} (${error.code}): ${error.message}` }],
    structuredContent,
    isError: true,
  };
}

/** The MCP answer for a refused start or decision: `isError`, the text naming the Pluto error code. */
export function refusedToolResult(error: unknown): CallToolResult {
  const text = isPlutoError(error)
    ? `${error.code}: ${error.message}`
    : `INTERNAL: the run could not be recorded (${errorMessage(error)}).`;
  return { content: [{ type: "text", text }], isError: true };
}

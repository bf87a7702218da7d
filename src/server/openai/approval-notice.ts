import type { ToolApprovalRequestEvent } from "../../core/events.js";

/**
 * The text that ends a chat completion whose run paused for tool approvals (docs/api-openai.md): the
 * Chat Completions API has no way to ask and answer in-band, so it names each waiting call id and the
 * HTTP route and CLI commands that decide it.
 */
export function approvalNotice(sessionId: string, requests: readonly ToolApprovalRequestEvent[]): string {
  const calls = requests.map((request) => `${request.toolCallId} (${request.toolName})`).join(", ");
  const first = requests[0]?.toolCallId ?? "CALL_ID";
  return `[Pluto: waiting for approval of tool call ${calls} in session ${sessionId}. Decide with POST /api/v1/sessions/${sessionId}/approvals/${first} {"decision": "approve"} (or "deny"), or pluto approve ${sessionId} ${first}; the answer is the continued run.]`;
}

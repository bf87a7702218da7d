import type { SessionEvent } from "../core/events.js";
import type { ContextMessage, ToolCallPart, ToolResultPart } from "../core/messages.js";

/**
 * Rebuilds the model's conversation from a session log (the log is the only state between steps).
 * Per run: the `run-start` input becomes a user message; each step's text, reasoning and tool calls
 * become one assistant message; its tool results one tool message. Tool calls that never got a
 * result (a run cut off mid-step) get a synthetic error result so every provider accepts the history.
 * Approval events are skipped: only their outcome (a tool result) reaches the model. A run that ended
 * `awaiting-approval` leaves its last step open; the run that `continues` it adds no user message and
 * closes that step with the decided calls' results. A call that never got a result after its approval
 * request (a new message came first, or the continuation could not start) gets a synthetic "not run" result.
 */
export function historyFromEvents(events: readonly SessionEvent[]): ContextMessage[] {
  const messages: ContextMessage[] = [];
  let assistant: { text: string; reasoning: string; toolCalls: ToolCallPart[] } | undefined;
  let results: ToolResultPart[] = [];
  const awaitingApproval = new Set<string>();
  const refused = new Set<string>();

  const closeStep = (): void => {
    if (assistant !== undefined) {
      if (assistant.text !== "" || assistant.toolCalls.length > 0) {
        const message: ContextMessage = {
          role: "assistant",
          text: assistant.text,
          toolCalls: assistant.toolCalls,
        };
        if (assistant.reasoning !== "") message.reasoning = assistant.reasoning;
        messages.push(message);
        const answered = new Set(results.map((result) => result.toolCallId));
        for (const call of assistant.toolCalls) {
          if (!answered.has(call.toolCallId)) {
            results.push({
              toolCallId: call.toolCallId,
              toolName: call.toolName,
              content: refused.has(call.toolCallId)
                ? "Error: the user refused this tool call; it was not run."
                : awaitingApproval.has(call.toolCallId)
                  ? "Error: this tool call was not run: it was still waiting for the user's approval."
                  : "Error: this tool call was interrupted before it returned a result.",
              isError: true,
            });
          }
        }
        if (results.length > 0) messages.push({ role: "tool", results });
      }
    }
    assistant = undefined;
    results = [];
  };

  for (const event of events) {
    switch (event.type) {
      case "run-start":
        if (event.continues !== undefined) break;
        closeStep();
        messages.push({ role: "user", text: event.input });
        break;
      case "step-start":
        closeStep();
        assistant = { text: "", reasoning: "", toolCalls: [] };
        break;
      case "text-delta":
        if (assistant !== undefined) assistant.text += event.text;
        break;
      case "reasoning-delta":
        if (assistant !== undefined) assistant.reasoning += event.text;
        break;
      case "tool-call":
        assistant?.toolCalls.push({
          toolCallId: event.toolCallId,
          toolName: event.toolName,
          input: event.input,
        });
        break;
      case "tool-result":
        results.push({
          toolCallId: event.toolCallId,
          toolName: event.toolName,
          content: event.content,
          isError: event.isError,
        });
        break;
      case "tool-approval-request":
        awaitingApproval.add(event.toolCallId);
        break;
      case "tool-approval-response":
        // An approved call may have run before a crash cut its continuation: "interrupted", not "not run".
        awaitingApproval.delete(event.toolCallId);
        if (!event.approved) refused.add(event.toolCallId);
        break;
      case "run-end":
        if (event.status !== "awaiting-approval") closeStep();
        break;
      default:
        break;
    }
  }
  closeStep();
  return messages;
}

/**
 * Translates Pluto's provider-neutral {@link ContextMessage}s into the AI SDK's `ModelMessage`s;
 * each provider package then writes its own wire format from those.
 */
import type { ModelMessage } from "ai";
import type { ContextMessage } from "../core/messages.js";

type AssistantParts = Exclude<Extract<ModelMessage, { role: "assistant" }>["content"], string>;

/**
 * One `ModelMessage` per context message, same order:
 * - user → `{role: "user", content: text}`;
 * - assistant → text part (when non-empty) then one `tool-call` part per call. Stored reasoning is not
 *   sent back: Pluto keeps no provider signatures, and providers reject or ignore unsigned reasoning;
 * - tool → one `tool-result` part per result, output `text` or `error-text` (from `isError`).
 */
export function toModelMessages(messages: readonly ContextMessage[]): ModelMessage[] {
  return messages.map(toModelMessage);
}

function toModelMessage(message: ContextMessage): ModelMessage {
  if (message.role === "user") return { role: "user", content: message.text };
  if (message.role === "assistant") {
    const content: AssistantParts = [];
    if (message.text !== "") content.push({ type: "text", text: message.text });
    for (const call of message.toolCalls) {
      content.push({
        type: "tool-call",
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        input: call.input,
      });
    }
    return { role: "assistant", content: content.length === 0 ? "" : content };
  }
  return {
    role: "tool",
    content: message.results.map((result) => ({
      type: "tool-result" as const,
      toolCallId: result.toolCallId,
      toolName: result.toolName,
      output: result.isError
        ? { type: "error-text" as const, value: result.content }
        : { type: "text" as const, value: result.content },
    })),
  };
}

/**
 * Provider-neutral conversation messages: what the executor builds from the session log and the
 * `llm` layer translates into each provider's wire format (via the AI SDK's `ModelMessage`).
 */

/** A tool call as the model asked for it. */
export interface ToolCallPart {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** A tool's answer, as the model will see it. */
export interface ToolResultPart {
  toolCallId: string;
  toolName: string;
  content: string;
  isError: boolean;
}

/** One message of the model's context, oldest first. */
export type ContextMessage =
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; reasoning?: string; toolCalls: ToolCallPart[] }
  | { role: "tool"; results: ToolResultPart[] };

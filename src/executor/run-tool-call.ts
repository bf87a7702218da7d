import { errorMessage } from "../core/errors.js";
import type { ToolCallPart } from "../core/messages.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { limitToolOutput } from "../tools/tool-result-limit.js";

/** A tool call's outcome as the `tool-result` event records it. */
export interface ToolCallOutcome {
  content: string;
  isError: boolean;
  details?: unknown;
  artifact?: string;
}

/**
 * Runs one tool call: unknown tools and thrown errors become error results the model can read
 * (never a failed run); long output is cut to `maxChars` with the full text saved as an artifact.
 */
export async function runToolCall(
  call: ToolCallPart,
  options: {
    tools: ReadonlyMap<string, Tool>;
    context: ToolContext;
    maxChars: number;
    saveFullToolOutput: (text: string, toolCallId: string) => Promise<string>;
  },
): Promise<ToolCallOutcome> {
  const tool = options.tools.get(call.toolName);
  if (tool === undefined) {
    const available = [...options.tools.keys()].join(", ") || "none";
    return {
      content: `Error: unknown tool "${call.toolName}". Available tools: ${available}.`,
      isError: true,
    };
  }
  try {
    const output = await tool.execute(call.input, options.context);
    const limited = await limitToolOutput(output, {
      maxChars: options.maxChars,
      saveFull: (text) => options.saveFullToolOutput(text, call.toolCallId),
    });
    const outcome: ToolCallOutcome = { content: limited.content, isError: output.isError ?? false };
    if (output.details !== undefined) outcome.details = output.details;
    if (limited.artifact !== undefined) outcome.artifact = limited.artifact;
    return outcome;
  } catch (error) {
    return { content: `Error: ${errorMessage(error)}`, isError: true };
  }
}

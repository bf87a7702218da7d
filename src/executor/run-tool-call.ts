import { errorMessage, isPlutoError } from "../core/errors.js";
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

/** Options of {@link runToolCall}. */
export interface RunToolCallOptions {
  tools: ReadonlyMap<string, Tool>;
  /** Passed to the tool; `context.signal` is the run's signal (user abort or `max_run_seconds`). */
  context: ToolContext;
  /** Characters of output the model sees (`spec.limits.max_tool_result_chars`). */
  maxChars: number;
  /** Milliseconds to wait for a tool without `Tool.timeoutMs` (`spec.limits.tool_timeout_seconds`). */
  timeoutMs: number;
  saveFullToolOutput: (text: string, toolCallId: string) => Promise<string>;
}

/**
 * Runs one tool call: unknown tools and thrown errors become error results the model can read
 * (never a failed run); long output is cut to `maxChars` with the full text saved as an artifact.
 *
 * The call is bounded here, in the loop, not in each tool: it resolves as a timed-out error result
 * when the tool's timeout (`Tool.timeoutMs`, else `options.timeoutMs`) passes or the run's signal
 * aborts, whether or not the tool honours the signal it is given (which aborts at the same moment).
 * A tool that ignores it keeps running in the background; its late result is dropped.
 * `details.timedOut` is `true` on such results. Never rejects.
 */
export async function runToolCall(call: ToolCallPart, options: RunToolCallOptions): Promise<ToolCallOutcome> {
  const tool = options.tools.get(call.toolName);
  if (tool === undefined) {
    const available = [...options.tools.keys()].join(", ") || "none";
    return {
      content: `Error: unknown tool "${call.toolName}". Available tools: ${available}.`,
      isError: true,
    };
  }
  const run = options.context.signal;
  const timeoutMs = tool.timeoutMs ?? options.timeoutMs;
  const timeout = new AbortController();
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => timeout.abort(), timeoutMs) : undefined;
  const signal = AbortSignal.any([run, timeout.signal]);
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<ToolCallOutcome>((resolve) => {
    onAbort = () =>
      resolve(run.aborted ? stoppedByRun(call, run.reason) : timedOut(call, timeoutMs, tool.timeoutMs));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([
      execute(tool, call, { ...options, context: { ...options.context, signal } }),
      stopped,
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}

async function execute(
  tool: Tool,
  call: ToolCallPart,
  options: RunToolCallOptions,
): Promise<ToolCallOutcome> {
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

function timedOut(call: ToolCallPart, timeoutMs: number, own: number | undefined): ToolCallOutcome {
  const seconds = timeoutMs / 1000;
  const fix =
    own === undefined
      ? "Try a smaller request; raise spec.limits.tool_timeout_seconds in agent.yaml if the tool needs longer."
      : "Try a smaller request.";
  return {
    content: `Error: tool ${call.toolName} timed out after ${seconds} s without finishing; its result is lost. ${fix}`,
    isError: true,
    details: { timedOut: true, timeoutSeconds: seconds },
  };
}

function stoppedByRun(call: ToolCallPart, reason: unknown): ToolCallOutcome {
  // The executor aborts the run's deadline with its LIMIT_EXCEEDED error as the reason.
  if (isPlutoError(reason) && reason.code === "LIMIT_EXCEEDED") {
    return {
      content: `Error: tool ${call.toolName} timed out: the run reached its time limit before the tool finished. ${reason.message}`,
      isError: true,
      details: { timedOut: true, runTimeLimit: true },
    };
  }
  return {
    content: `Error: tool ${call.toolName} was stopped because the run was aborted.`,
    isError: true,
    details: { aborted: true },
  };
}

import type { AgentDefinition } from "../agents/agent-definition.js";
import type { FinishReason, RunEvent } from "../core/events.js";
import type { ToolCallPart } from "../core/messages.js";
import type { Tool } from "../tools/tool.js";
import { type BeforeToolCall, policyRefusal } from "./before-tool-call.js";
import type { ToolCallOutcome } from "./run-tool-call.js";

/** Options of {@link runToolPhase}. */
export interface ToolPhaseOptions {
  agent: AgentDefinition;
  runId: string;
  step: number;
  /** The step's tool calls, in the order the model made them. */
  calls: readonly ToolCallPart[];
  finishReason: FinishReason;
  tools: ReadonlyMap<string, Tool>;
  beforeToolCall?: BeforeToolCall | undefined;
  /** Runs one allowed call (`runToolCall` bound to the run); never rejects. */
  run: (call: ToolCallPart) => Promise<ToolCallOutcome>;
  emit: (event: RunEvent) => void;
  time: () => string;
}

/**
 * A step's tool phase: asks {@link BeforeToolCall} about each call of a known tool, records a
 * `tool-approval-request` for each `ask`, runs the allowed calls side by side and records a
 * `tool-result` for every call not waiting (refusals included), in call order.
 * A step cut at the output limit may hold calls with cut-off input: they are all refused (the model is
 * told why and may try again, bounded by max_steps) rather than run half an instruction.
 * @returns `awaiting: true` when at least one call waits for a human's decision.
 */
export async function runToolPhase(options: ToolPhaseOptions): Promise<{ awaiting: boolean }> {
  const { runId, step, emit, time } = options;
  if (options.finishReason === "length") {
    for (const call of options.calls) emit(resultEvent(options, call, truncatedStepRefusal(options.agent)));
    return { awaiting: false };
  }
  const verdicts = await Promise.all(
    options.calls.map(async (call) => {
      const tool = options.tools.get(call.toolName);
      return tool === undefined || options.beforeToolCall === undefined
        ? { action: "allow" as const }
        : await options.beforeToolCall(call, tool);
    }),
  );
  let awaiting = false;
  for (const [index, verdict] of verdicts.entries()) {
    if (verdict.action !== "ask") continue;
    awaiting = true;
    const call = options.calls[index]!;
    emit({
      type: "tool-approval-request",
      runId,
      time: time(),
      step,
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      input: call.input,
      ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
    });
  }
  const outcomes = await Promise.all(
    options.calls.map((call, index) => {
      const verdict = verdicts[index]!;
      if (verdict.action === "ask") return undefined;
      if (verdict.action === "deny") return policyRefusal(call, verdict.reason);
      return options.run(call);
    }),
  );
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome !== undefined) emit(resultEvent(options, options.calls[index]!, outcome));
  }
  return { awaiting };
}

function resultEvent(
  options: Pick<ToolPhaseOptions, "runId" | "step" | "time">,
  call: ToolCallPart,
  outcome: ToolCallOutcome,
): RunEvent {
  return {
    type: "tool-result",
    runId: options.runId,
    time: options.time(),
    step: options.step,
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    ...outcome,
  };
}

/** The result recorded for each tool call of a step that ended at the output token limit. */
function truncatedStepRefusal(agent: AgentDefinition): ToolCallOutcome {
  const limit = agent.parameters.maxOutputTokens;
  return {
    content:
      `Error: this tool call was not run. Your answer hit the output token limit${limit === undefined ? "" : ` (${limit} tokens)`} ` +
      "and was cut off, so the call's input may be incomplete. Make the call again with shorter input, " +
      "or one call at a time; the operator can raise spec.parameters.max_output_tokens in agent.yaml.",
    isError: true,
    details: { notRun: true, reason: "output-limit", finishReason: "length" },
  };
}

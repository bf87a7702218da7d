import type { ToolCallPart } from "../core/messages.js";
import type { Tool } from "../tools/tool.js";
import type { ToolCallOutcome } from "./run-tool-call.js";

/**
 * The verdict of {@link BeforeToolCall} on one call: `allow` runs it, `deny` records a refusal the model
 * reads, `ask` records a `tool-approval-request` and ends the run `awaiting-approval` until a human decides.
 */
export type ToolCallGate =
  | { action: "allow" }
  | { action: "deny"; reason?: string }
  | { action: "ask"; reason?: string };

/**
 * The executor's one hook before each tool call (the shape of pi-mono's `beforeToolCall`): every route
 * reaches tools only through the executor, so a verdict here cannot be bypassed. Called only for calls
 * of a known tool; a rejected promise fails the run.
 */
export type BeforeToolCall = (call: ToolCallPart, tool: Tool) => ToolCallGate | Promise<ToolCallGate>;

/** The result recorded for a call the tool policy refused. */
export function policyRefusal(call: ToolCallPart, reason: string | undefined): ToolCallOutcome {
  return {
    content: `Error: the tool policy refused this call of ${call.toolName}; it was not run.${reason === undefined ? "" : ` Reason: ${reason}`} Do not retry it; tell the user if it was needed.`,
    isError: true,
    details: {
      notRun: true,
      reason: "policy-denied",
      ...(reason === undefined ? {} : { policyReason: reason }),
    },
  };
}

/** The result recorded for a call a human refused in its approval. */
export function approvalRefusal(call: ToolCallPart, reason: string | undefined): ToolCallOutcome {
  return {
    content: `Error: the user refused this call of ${call.toolName}; it was not run.${reason === undefined ? "" : ` Their reason: ${reason}`}`,
    isError: true,
    details: {
      notRun: true,
      reason: "approval-denied",
      ...(reason === undefined ? {} : { approvalReason: reason }),
    },
  };
}

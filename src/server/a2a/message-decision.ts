import type { Message } from "@a2a-js/sdk";
import { type DecisionInput, decisionInputOf } from "../decision-input.js";

/**
 * The tool-approval decision an A2A message carries (docs/api-a2a.md), or `undefined` for an ordinary
 * message: a data part `{"decision": "approve" | "deny", "tool_call_id"?, "reason"?}`, or a message
 * whose only text is exactly `approve` or `deny` (case and surrounding spaces ignored).
 * @throws PlutoError `BAD_REQUEST` for a data part with a malformed `decision`.
 */
export function messageDecision(message: Message | undefined): DecisionInput | undefined {
  const parts = message?.parts ?? [];
  for (const part of parts) {
    if (part.content?.$case !== "data") continue;
    const decision = decisionInputOf(part.content.value, "data part");
    if (decision !== undefined) return decision;
  }
  if (parts.length !== 1 || parts[0]?.content?.$case !== "text") return undefined;
  const text = parts[0].content.value.trim().toLowerCase();
  return text === "approve" || text === "deny" ? { decision: text } : undefined;
}

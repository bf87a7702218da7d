import { z } from "zod";
import { PlutoError } from "../core/errors.js";
import type { SessionListener } from "../runs/event-bus.js";
import type { RunHandle, RunManager } from "../runs/run-manager.js";
import type { SessionKey } from "../services/session/session-store.js";
import { pendingApprovalList } from "./pending-approval-list.js";

/**
 * A decision sent inside a protocol message rather than to the approvals route (an Agent Protocol
 * step's `additional_input`, an A2A data part): `{"decision": "approve" | "deny", "tool_call_id"?,
 * "reason"?}`. Without `tool_call_id` it decides the oldest waiting call. Other keys are ignored.
 */
export const DecisionInput = z.object({
  decision: z.enum(["approve", "deny"]),
  tool_call_id: z.string().min(1).max(256).optional(),
  reason: z.string().min(1).max(1000).optional(),
});
export type DecisionInput = z.infer<typeof DecisionInput>;

/**
 * The decision in `value` when it has a `decision` key, else `undefined` (the message is an ordinary one).
 * @throws PlutoError `BAD_REQUEST` when `decision` is there but the decision is malformed (`where` names
 *   the field in the message).
 */
export function decisionInputOf(value: unknown, where: string): DecisionInput | undefined {
  if (typeof value !== "object" || value === null || !("decision" in value)) return undefined;
  const parsed = DecisionInput.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PlutoError(
    "BAD_REQUEST",
    `${where}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}. A decision is {"decision": "approve" | "deny", "tool_call_id"?: string, "reason"?: string}.`,
  );
}

/**
 * Decides a waiting tool call of the session `key` through `RunManager.decide` (the same as the
 * approvals route): `decision.tool_call_id`, or the oldest waiting call when absent.
 * @throws PlutoError `APPROVAL_NOT_FOUND` when nothing waits in the session; else what `decide` throws.
 */
export async function decideFromInput(
  runs: RunManager,
  key: SessionKey,
  decision: DecisionInput,
  listener?: SessionListener,
): Promise<RunHandle> {
  let toolCallId = decision.tool_call_id;
  if (toolCallId === undefined) {
    toolCallId = pendingApprovalList(await runs.touch(key))[0]?.tool_call_id;
    if (toolCallId === undefined) {
      throw new PlutoError(
        "APPROVAL_NOT_FOUND",
        "No tool call waits for approval in this session: there is nothing to decide. Send an ordinary message instead.",
      );
    }
  }
  return runs.decide({
    tenant: key.tenant,
    sessionId: key.session,
    toolCallId,
    approved: decision.decision === "approve",
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    ...(listener === undefined ? {} : { listener }),
  });
}

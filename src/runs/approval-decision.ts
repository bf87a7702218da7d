import { PlutoError } from "../core/errors.js";
import type { RunEndEvent, SessionEvent, ToolApprovalResponseEvent } from "../core/events.js";
import type { ResumeApprovals } from "../executor/execute-run.js";
import { sessionApprovals } from "../executor/pending-approvals.js";

/** A human's decision on one pending tool call. */
export interface ApprovalDecision {
  toolCallId: string;
  approved: boolean;
  /** Shown to the model when the call is refused; recorded either way. At most 1000 characters. */
  reason?: string;
}

/**
 * What a decision does to a session: the `tool-approval-response` to append, then either `resume` (every
 * request of the waiting run is now decided: continue it) or `waiting` (others still wait: the waiting
 * run's `run-end`, unchanged).
 */
export type DecisionEffect =
  | { response: ToolApprovalResponseEvent; resume: ResumeApprovals }
  | { response: ToolApprovalResponseEvent; waiting: RunEndEvent };

/**
 * Checks `decision` against the session's log and says what it does; the caller appends under the
 * session's lane and lease, so of two concurrent decisions on one call only the first is taken.
 * @throws PlutoError `APPROVAL_NOT_FOUND` when no approval was ever requested for the call in this session
 *   (a forged id, or another session's); `APPROVAL_DECIDED` when it was decided already or is no longer
 *   pending (a new message moved the session on).
 */
export function applyDecision(
  events: readonly SessionEvent[],
  decision: ApprovalDecision,
  time: string,
): DecisionEffect {
  const state = sessionApprovals(events);
  // Echoed ids come from the caller: cut them so an error cannot be made arbitrarily long.
  const shown = JSON.stringify(decision.toolCallId.slice(0, 80));
  const entry = state.entries.find((candidate) => candidate.request.toolCallId === decision.toolCallId);
  if (entry === undefined && !state.requested.has(decision.toolCallId)) {
    throw new PlutoError(
      "APPROVAL_NOT_FOUND",
      `No tool call ${shown} waits for approval in this session. List the pending ones with GET /api/v1/sessions/{session}/approvals.`,
      { details: { toolCallId: decision.toolCallId.slice(0, 80) } },
    );
  }
  if (entry === undefined || entry.response !== undefined || state.runId === undefined) {
    throw new PlutoError(
      "APPROVAL_DECIDED",
      `Tool call ${shown} was already decided (or the session moved on without it); a decision counts once. Read the session's events to see the outcome.`,
      { details: { toolCallId: decision.toolCallId.slice(0, 80) } },
    );
  }
  const response: ToolApprovalResponseEvent = {
    type: "tool-approval-response",
    runId: state.runId,
    time,
    toolCallId: decision.toolCallId,
    approved: decision.approved,
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
  };
  entry.response = response;
  const decided = state.entries.flatMap(({ request, response: made }) =>
    made === undefined
      ? []
      : [{ request, approved: made.approved, ...(made.reason === undefined ? {} : { reason: made.reason }) }],
  );
  if (decided.length === state.entries.length) {
    return { response, resume: { continues: state.runId, decisions: decided } };
  }
  const waiting = events.findLast(
    (event): event is SessionEvent & RunEndEvent => event.type === "run-end" && event.runId === state.runId,
  );
  // sessionApprovals only reports a run whose run-end it saw, so the lookup cannot miss.
  const { seq: _seq, ...end } = waiting!;
  return { response, waiting: end };
}

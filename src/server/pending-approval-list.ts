import type { SessionEvent } from "../core/events.js";
import { sessionApprovals } from "../executor/pending-approvals.js";

/** One tool call waiting for a human's decision, as every protocol shows it (snake_case JSON). */
export interface PendingApprovalJson {
  tool_call_id: string;
  tool_name: string;
  input: unknown;
  /** The policy rule's reason, when it gave one. */
  reason?: string;
  /** The run that waits for the decision. */
  run_id: string;
  /** ISO 8601 time of the request. */
  requested_at: string;
}

/**
 * The undecided approval requests of a session, oldest first, read from its events (the log is the only
 * place pending approvals live; see `sessionApprovals`). Empty when no run waits.
 */
export function pendingApprovalList(events: readonly SessionEvent[]): PendingApprovalJson[] {
  return sessionApprovals(events)
    .entries.filter((entry) => entry.response === undefined)
    .map(({ request }) => ({
      tool_call_id: request.toolCallId,
      tool_name: request.toolName,
      input: request.input,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      run_id: request.runId,
      requested_at: request.time,
    }));
}

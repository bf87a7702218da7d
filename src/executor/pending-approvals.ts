import type { SessionEvent, ToolApprovalRequestEvent, ToolApprovalResponseEvent } from "../core/events.js";

/** One approval request of the run waiting for decisions, with its decision once made. */
export interface ApprovalEntry {
  request: ToolApprovalRequestEvent;
  response?: ToolApprovalResponseEvent;
}

/** The approval state of a session, read from its log (the only place it lives). */
export interface SessionApprovals {
  /** The run waiting for decisions: the session's last run, when it ended `awaiting-approval`. */
  runId?: string;
  /** That run's approval requests in log order (empty when no run waits). */
  entries: ApprovalEntry[];
  /** Every tool call id that ever had an approval request in the session (decided or not). */
  requested: Set<string>;
}

/**
 * Reads a session's approval state from its events: the requests of the last run if it ended
 * `awaiting-approval`, each with the `tool-approval-response` appended after it, if any. Any later
 * `run-start` (the continuation, or a new message that moved the conversation on) closes them.
 */
export function sessionApprovals(events: readonly SessionEvent[]): SessionApprovals {
  const requested = new Set<string>();
  let entries: ApprovalEntry[] = [];
  let runId: string | undefined;
  for (const event of events) {
    switch (event.type) {
      case "run-start":
        entries = [];
        runId = undefined;
        break;
      case "tool-approval-request":
        requested.add(event.toolCallId);
        entries.push({ request: event });
        break;
      case "tool-approval-response": {
        const entry = entries.find((candidate) => candidate.request.toolCallId === event.toolCallId);
        if (entry !== undefined && entry.response === undefined) entry.response = event;
        break;
      }
      case "run-end":
        if (event.status === "awaiting-approval") runId = event.runId;
        else entries = [];
        break;
      default:
        break;
    }
  }
  return runId === undefined ? { entries: [], requested } : { runId, entries, requested };
}

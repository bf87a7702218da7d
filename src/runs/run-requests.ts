import type { RunEndEvent } from "../core/events.js";
import type { SessionKey } from "../services/session/session-store.js";
import type { ApprovalDecision } from "./approval-decision.js";
import type { SessionListener } from "./event-bus.js";

/** What a caller needs to decide one pending tool approval (see {@link RunManager.decide}). */
export interface DecideApprovalRequest extends ApprovalDecision {
  sessionId: string;
  /** @default "default" */
  tenant?: string;
  /** Subscribed to the session before the decision is queued, so no event of the continuation is missed. */
  listener?: SessionListener;
}

/** What a caller needs to start a run. */
export interface StartRunRequest {
  agent: string;
  input: string;
  /** Continue this session; a new id is generated when absent. Must be a safe name. */
  sessionId?: string;
  /** @default "default" */
  tenant?: string;
  /** Subscribed to the session before the run is queued, so no event of the run is missed. */
  listener?: SessionListener;
  /**
   * Refuse a `sessionId` that another agent of the tenant already uses (so `GET /sessions/{id}` stays
   * unambiguous). The check asks the store once per agent, so callers that mint their own unique ids
   * (Agent Protocol tasks, A2A contexts) turn it off. @default true
   */
  checkOwner?: boolean;
  /** Id of the run, a safe name (a job worker names its runs after the job). @default `run_` + a UUID */
  runId?: string;
}

/** A queued or running run. `result` resolves with its `run-end` event and never rejects for run failures. */
export interface RunHandle {
  runId: string;
  key: SessionKey;
  result: Promise<RunEndEvent>;
  /** Removes `request.listener`; a no-op when none was given. */
  unsubscribe: () => void;
}

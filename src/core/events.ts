/**
 * Pluto's one event vocabulary (DESIGN.md, "One event vocabulary, end to end"). The executor emits
 * these, the session log stores them, SSE and WebSocket carry them, channels render them.
 * Names are `<noun>-<verb>`; the last event of anything is `...-end`. Field names follow the
 * Vercel AI SDK's stream parts (`toolCallId`, `toolName`, `finishReason`).
 */

/** Token counts for one step or one run. Missing provider counts are reported as 0. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Reasoning tokens, when the provider reports them. */
  reasoningTokens?: number;
  /** Input tokens served from the provider's prompt cache, when reported. */
  cachedInputTokens?: number;
}

/** How a run ended. `awaiting-approval` pauses the run until a human answers a tool approval request. */
export type RunStatus = "completed" | "failed" | "aborted" | "awaiting-approval";

/** Why a model step stopped, as the AI SDK reports it. */
export type FinishReason =
  | "stop"
  | "length"
  | "content-filter"
  | "tool-calls"
  | "error"
  | "other"
  | "unknown";

/** Error carried by a failed run or tool: `code` is a Pluto `ErrorCode`. */
export interface EventError {
  code: string;
  message: string;
}

/** Fields every event carries. `runId` ties the event to one run of the session. */
interface EventBase {
  runId: string;
  /** ISO-8601 time the event was produced. */
  time: string;
}

/** A run begins: `input` is the user's message for this turn. */
export interface RunStartEvent extends EventBase {
  type: "run-start";
  agent: string;
  input: string;
  /** Provider/model id from `spec.model`. */
  model: string;
  /**
   * Set when this run continues one that ended `awaiting-approval` (its run id): `input` is then `""`,
   * and the run first records the results of the decided calls.
   */
  continues?: string;
}

/** A model step begins. Steps are numbered from 1 within a run. */
export interface StepStartEvent extends EventBase {
  type: "step-start";
  step: number;
  /** The provider/model actually used (may be a fallback). */
  model: string;
}

/** A chunk of the model's answer text. */
export interface TextDeltaEvent extends EventBase {
  type: "text-delta";
  step: number;
  text: string;
}

/** A chunk of the model's reasoning text, when the provider streams it. */
export interface ReasoningDeltaEvent extends EventBase {
  type: "reasoning-delta";
  step: number;
  text: string;
}

/** The model asks for a tool call. `input` is the parsed JSON arguments. */
export interface ToolCallEvent extends EventBase {
  type: "tool-call";
  step: number;
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** A risky tool call waits for a human's decision. */
export interface ToolApprovalRequestEvent extends EventBase {
  type: "tool-approval-request";
  step: number;
  toolCallId: string;
  toolName: string;
  input: unknown;
  reason?: string;
}

/** A human's decision on a {@link ToolApprovalRequestEvent}. */
export interface ToolApprovalResponseEvent extends EventBase {
  type: "tool-approval-response";
  toolCallId: string;
  approved: boolean;
  reason?: string;
}

/**
 * A tool call's outcome. `content` is what the model sees (cut to `spec.limits.max_tool_result_chars`);
 * `details` is structured data for clients; `artifact` names the artifact holding the full output when cut.
 */
export interface ToolResultEvent extends EventBase {
  type: "tool-result";
  step: number;
  toolCallId: string;
  toolName: string;
  content: string;
  isError: boolean;
  details?: unknown;
  artifact?: string;
}

/** A model step ends. */
export interface StepEndEvent extends EventBase {
  type: "step-end";
  step: number;
  finishReason: FinishReason;
  usage: Usage;
}

/** A run ends; always the last event of a run. `output` is the final answer text. */
export interface RunEndEvent extends EventBase {
  type: "run-end";
  status: RunStatus;
  usage: Usage;
  steps: number;
  output?: string;
  error?: EventError;
  /** Cost in US dollars, when the model's price is known. */
  cost?: number;
}

/** Every event the executor emits, before the session log numbers it. */
export type RunEvent =
  | RunStartEvent
  | StepStartEvent
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallEvent
  | ToolApprovalRequestEvent
  | ToolApprovalResponseEvent
  | ToolResultEvent
  | StepEndEvent
  | RunEndEvent;

/** The `type` tags of {@link RunEvent}. */
export type RunEventType = RunEvent["type"];

/** An event as stored: `seq` is its 1-based position in the session log, gap-free. */
export type SessionEvent = RunEvent & { seq: number };

/** Zero usage, the identity for {@link addUsage}. */
export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });

/** Sums two usages field by field. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  if (a.reasoningTokens !== undefined || b.reasoningTokens !== undefined) {
    sum.reasoningTokens = (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0);
  }
  if (a.cachedInputTokens !== undefined || b.cachedInputTokens !== undefined) {
    sum.cachedInputTokens = (a.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0);
  }
  return sum;
}

/** The list of all event types, for validating stored lines. */
export const RUN_EVENT_TYPES: readonly RunEventType[] = [
  "run-start",
  "step-start",
  "text-delta",
  "reasoning-delta",
  "tool-call",
  "tool-approval-request",
  "tool-approval-response",
  "tool-result",
  "step-end",
  "run-end",
];

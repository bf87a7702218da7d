import { randomUUID } from "node:crypto";
import {
  type Artifact,
  type Message,
  type Part,
  Role,
  type TaskArtifactUpdateEvent,
  TaskState,
  type TaskStatus,
  type TaskStatusUpdateEvent,
} from "@a2a-js/sdk";
import type { RunEndEvent, RunStatus, SessionEvent } from "../../core/events.js";
import type { PendingApprovalJson } from "../pending-approval-list.js";

/** An A2A event produced from Pluto run events (the SDK's `AgentExecutionEvent` minus `task`/`message`). */
export type A2aUpdate =
  | { kind: "statusUpdate"; data: TaskStatusUpdateEvent }
  | { kind: "artifactUpdate"; data: TaskArtifactUpdateEvent };

/** The A2A task state a finished run leaves its task in. `awaiting-approval` waits for a human: input-required. */
export function taskStateForRun(status: RunStatus): TaskState {
  switch (status) {
    case "completed":
      return TaskState.TASK_STATE_COMPLETED;
    case "failed":
      return TaskState.TASK_STATE_FAILED;
    case "aborted":
      return TaskState.TASK_STATE_CANCELED;
    case "awaiting-approval":
      return TaskState.TASK_STATE_INPUT_REQUIRED;
  }
}

/** A text part (A2A v1.0 `Part` with `text` content). */
export function textPart(text: string): Part {
  return {
    content: { $case: "text", value: text },
    metadata: undefined,
    filename: "",
    mediaType: "text/plain",
  };
}

/** An agent message inside a task (for status messages). */
export function agentMessage(taskId: string, contextId: string, text: string): Message {
  return {
    messageId: randomUUID(),
    contextId,
    taskId,
    role: Role.ROLE_AGENT,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/**
 * The input-required status text: each waiting call (id, tool, the policy's reason) and how to decide
 * it with a message on the task (docs/api-a2a.md).
 */
function approvalRequestText(approvals: readonly { id: string; tool: string; reason?: string }[]): string {
  const calls = approvals
    .map(
      (approval) =>
        `${approval.id} (${approval.tool}${approval.reason === undefined ? "" : `: ${approval.reason}`})`,
    )
    .join("; ");
  return `Waiting for approval of tool call ${calls === "" ? "(unknown)" : calls}. Answer on this task with the text "approve" or "deny" (the oldest waiting call), or a data part {"decision": "approve" | "deny", "tool_call_id": "…"}.`;
}

/** A task status stamped now. */
export function statusOf(state: TaskState, message?: Message): TaskStatus {
  return { state, message, timestamp: new Date().toISOString() };
}

/**
 * Turns the session events of one run into A2A task updates (A2A v1.0, "Streaming"): text deltas
 * become chunks of one artifact per run (`artifactId` = the run id, name `answer`, appended), a
 * tool approval request is remembered for the input-required message, and `run-end` becomes the
 * final artifact (the whole answer as one part, `append: false`, `lastChunk: true`, replacing the
 * chunks) followed by the final status: completed, failed (with the error as the status message),
 * canceled, or input-required. Events of other runs are ignored. Stateful: one instance per run.
 */
export class RunEventTranslator {
  readonly #taskId: string;
  readonly #contextId: string;
  readonly #runId: string;
  #text = "";
  #chunks = 0;
  /** Tool calls waiting for approval, named in the input-required message. */
  readonly #approvals: { id: string; tool: string; reason?: string }[];
  #ended = false;

  /** `waiting`: calls already waiting before this run (a decision that left others undecided). */
  constructor(options: {
    taskId: string;
    contextId: string;
    runId: string;
    waiting?: readonly PendingApprovalJson[];
  }) {
    this.#taskId = options.taskId;
    this.#contextId = options.contextId;
    this.#runId = options.runId;
    this.#approvals = (options.waiting ?? []).map((approval) => ({
      id: approval.tool_call_id,
      tool: approval.tool_name,
      ...(approval.reason === undefined ? {} : { reason: approval.reason }),
    }));
  }

  /** True once the run's `run-end` was translated. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Translates a batch of session events. Consecutive text deltas of the batch are merged into one
   * artifact chunk, so a slow consumer gets fewer, larger updates (and the store fewer writes).
   */
  translate(events: readonly SessionEvent[]): A2aUpdate[] {
    const updates: A2aUpdate[] = [];
    let pending = "";
    const flush = () => {
      if (pending === "") return;
      updates.push(this.#artifactUpdate(pending, this.#chunks > 0, false));
      this.#chunks++;
      pending = "";
    };
    for (const event of events) {
      if (event.runId !== this.#runId || this.#ended) continue;
      if (event.type === "text-delta") {
        this.#text += event.text;
        pending += event.text;
      } else if (event.type === "tool-approval-request") {
        this.#approvals.push({
          id: event.toolCallId,
          tool: event.toolName,
          ...(event.reason === undefined ? {} : { reason: event.reason }),
        });
      } else if (event.type === "run-end") {
        pending = "";
        updates.push(...this.#end(event));
      }
    }
    flush();
    return updates;
  }

  #end(end: RunEndEvent): A2aUpdate[] {
    this.#ended = true;
    const updates: A2aUpdate[] = [];
    const answer = end.output !== undefined && end.output !== "" ? end.output : this.#text;
    if (answer !== "") updates.push(this.#artifactUpdate(answer, false, true));
    const state = taskStateForRun(end.status);
    let message: Message | undefined;
    if (end.status === "failed") {
      message = agentMessage(
        this.#taskId,
        this.#contextId,
        end.error === undefined ? "The run failed." : `${end.error.code}: ${end.error.message}`,
      );
    } else if (end.status === "awaiting-approval") {
      message = agentMessage(this.#taskId, this.#contextId, approvalRequestText(this.#approvals));
    }
    updates.push({
      kind: "statusUpdate",
      data: {
        taskId: this.#taskId,
        contextId: this.#contextId,
        status: statusOf(state, message),
        metadata: undefined,
      },
    });
    return updates;
  }

  #artifactUpdate(text: string, append: boolean, lastChunk: boolean): A2aUpdate {
    const artifact: Artifact = {
      artifactId: this.#runId,
      name: "answer",
      description: "",
      parts: [textPart(text)],
      metadata: undefined,
      extensions: [],
    };
    return {
      kind: "artifactUpdate",
      data: {
        taskId: this.#taskId,
        contextId: this.#contextId,
        artifact,
        append,
        lastChunk,
        metadata: undefined,
      },
    };
  }
}

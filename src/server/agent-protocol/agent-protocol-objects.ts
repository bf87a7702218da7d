import type { RunEndEvent, SessionEvent } from "../../core/events.js";
import type { TaskRecord } from "../../services/task/task-store.js";
import { type PendingApprovalJson, pendingApprovalList } from "../pending-approval-list.js";
import type { AgentProtocolTaskData, StoredArtifact } from "./agent-protocol-schemas.js";

/**
 * Response objects of the Agent Protocol v1 (`schemas/openapi.yml`: `Task`, `Step`, `Artifact`),
 * built from Pluto's task records and session events.
 */

/** The spec's `Artifact`. */
export interface ArtifactObject {
  artifact_id: string;
  agent_created: boolean;
  file_name: string;
  relative_path: string | null;
}

/** The spec's `Task` (`TaskRequestBody` plus `task_id` and `artifacts`). */
export interface TaskObject {
  task_id: string;
  input: string | null;
  additional_input: Record<string, unknown>;
  artifacts: ArtifactObject[];
}

/** The spec's `Step` status enum. */
export type StepStatus = "created" | "running" | "completed";

/** The spec's `Step`; `additional_output` carries Pluto's run outcome. */
export interface StepObject {
  task_id: string;
  step_id: string;
  name: string;
  status: StepStatus;
  input: string;
  additional_input?: Record<string, unknown>;
  output: string | null;
  additional_output: {
    status: RunEndEvent["status"] | "running";
    usage?: RunEndEvent["usage"];
    model_steps?: number;
    cost?: number;
    error?: RunEndEvent["error"];
    /** With status `awaiting-approval`: the calls waiting for a decision, oldest first. */
    approvals?: PendingApprovalJson[];
  };
  artifacts: ArtifactObject[];
  is_last: boolean;
}

/** An artifact as the API shows it (without where Pluto keeps its bytes). */
export function artifactObject(artifact: StoredArtifact): ArtifactObject {
  return {
    artifact_id: artifact.artifact_id,
    agent_created: artifact.agent_created,
    file_name: artifact.file_name,
    relative_path: artifact.relative_path,
  };
}

/** A task as the API shows it. `input` is `null` and `additional_input` `{}` when the client sent none. */
export function taskObject(record: TaskRecord, data: AgentProtocolTaskData): TaskObject {
  return {
    task_id: record.id,
    input: data.input,
    additional_input: data.additional_input,
    artifacts: data.artifacts.map(artifactObject),
  };
}

/** One run of a session log: its `run-start` and, once it ended, its `run-end`. */
export interface SessionTurn {
  runId: string;
  input: string;
  end: RunEndEvent | undefined;
  /** When the run ended `awaiting-approval`: the calls still waiting for a decision. */
  approvals?: PendingApprovalJson[];
}

/** The runs of a session log in order; a run without `run-end` is still running. */
export function turnsOf(events: readonly SessionEvent[]): SessionTurn[] {
  const turns: SessionTurn[] = [];
  const byRun = new Map<string, SessionTurn>();
  for (const event of events) {
    if (event.type === "run-start") {
      const turn: SessionTurn = { runId: event.runId, input: event.input, end: undefined };
      turns.push(turn);
      byRun.set(event.runId, turn);
    } else if (event.type === "run-end") {
      const turn = byRun.get(event.runId);
      if (turn !== undefined) {
        const { seq: _seq, ...end } = event;
        turn.end = end;
      }
    }
  }
  const pending = pendingApprovalList(events);
  const waiting = turns.find((turn) => turn.runId === pending[0]?.run_id);
  if (waiting !== undefined) waiting.approvals = pending;
  return turns;
}

/**
 * A step from one turn: `status` is `completed` once the run ended, whatever its outcome (the spec's
 * enum has no failure state; `additional_output.status` says `completed`, `failed`, `aborted` or
 * `awaiting-approval` and `additional_output.error` why), else `running`. `is_last` is true when the
 * run completed: the agent gave its answer. `name` is the input's first line, at most 80 characters.
 */
export function stepObject(options: {
  task: TaskRecord;
  data: AgentProtocolTaskData;
  turn: SessionTurn;
}): StepObject {
  const { task, data, turn } = options;
  const end = turn.end;
  const additionalInput = data.step_inputs[turn.runId];
  return {
    task_id: task.id,
    step_id: turn.runId,
    name: stepName(turn.input),
    status: end === undefined ? "running" : "completed",
    input: turn.input,
    ...(additionalInput === undefined ? {} : { additional_input: additionalInput }),
    output: end === undefined ? null : outputOf(end, turn.approvals ?? []),
    additional_output:
      end === undefined
        ? { status: "running" }
        : {
            status: end.status,
            usage: end.usage,
            model_steps: end.steps,
            ...(end.cost === undefined ? {} : { cost: end.cost }),
            ...(end.error === undefined ? {} : { error: end.error }),
            ...(end.status === "awaiting-approval" ? { approvals: turn.approvals ?? [] } : {}),
          },
    artifacts: data.artifacts.filter((artifact) => artifact.step_id === turn.runId).map(artifactObject),
    is_last: end?.status === "completed",
  };
}

/**
 * A step's output: the run's answer; when it waits for approvals, followed by a note naming the waiting
 * calls and the step that decides them.
 */
function outputOf(end: RunEndEvent, approvals: readonly PendingApprovalJson[]): string {
  const output = end.output ?? "";
  if (end.status !== "awaiting-approval") return output;
  const calls = approvals.map((approval) => `${approval.tool_call_id} (${approval.tool_name})`).join(", ");
  const note = `(Waiting for approval of tool call ${calls}. Send a step with additional_input {"decision": "approve" | "deny", "tool_call_id": "…"}.)`;
  return output === "" ? note : `${output}\n\n${note}`;
}

/** A short step name from its input: the first non-empty line, cut to 80 characters. */
export function stepName(input: string): string {
  const line = input.split("\n").find((candidate) => candidate.trim() !== "") ?? input;
  const trimmed = line.trim();
  return trimmed.length > 80 ? `${trimmed.slice(0, 79)}…` : trimmed;
}

import { TaskState } from "@a2a-js/sdk";
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from "@a2a-js/sdk/server";
import { errorMessage, isPlutoError } from "../../core/errors.js";
import type { SessionEvent } from "../../core/events.js";
import type { Scope } from "../../core/scope.js";
import type { RunHandle, RunManager } from "../../runs/run-manager.js";
import { decideFromInput } from "../decision-input.js";
import { type PendingApprovalJson, pendingApprovalList } from "../pending-approval-list.js";
import { scopeOfCall, sessionIdForContext } from "./a2a-scope.js";
import { type A2aTaskStore, RUN_ID_METADATA, SESSION_ID_METADATA } from "./a2a-task-store.js";
import { messageDecision } from "./message-decision.js";
import { messageInput } from "./message-input.js";
import { RunEventQueue } from "./run-event-queue.js";
import { agentMessage, RunEventTranslator, statusOf } from "./run-event-translator.js";

/** Options of {@link PlutoAgentExecutor}. */
export interface PlutoAgentExecutorOptions {
  runs: RunManager;
  tasks: A2aTaskStore;
  /**
   * How often a running task's stored state is checked for a cancellation written by another worker,
   * in ms. @default 1000
   */
  cancelPollMs?: number;
  /** Receives errors that are not the run's own (they end the task as failed). */
  onUnexpectedError?: (error: unknown) => void;
}

/**
 * The SDK's `AgentExecutor` for Pluto: each A2A message becomes one Pluto run of the agent in the
 * call's scope (tenant from the API key, agent from the URL).
 *
 * - `contextId` → Pluto session (`sessionIdForContext`); the SDK makes a new context id, hence a new
 *   session, when the client sends none.
 * - The task is published first, `working`, with `metadata["pluto.run_id"]` and
 *   `metadata["pluto.session_id"]`; the task store records the run id, so task ↔ run is kept in
 *   Pluto's TaskStore for every turn.
 * - Run events stream as artifact chunks and end in completed / failed / canceled / input-required
 *   (`RunEventTranslator`); input-required names the tool calls waiting for approval.
 * - A message that is a decision (`messageDecision`: a data part `{"decision", "tool_call_id"?}` or the
 *   text `approve` / `deny`) decides a waiting call through `RunManager.decide` instead of starting a
 *   run, and the task follows the continued run.
 * - `cancelTask` aborts the run (`RunManager.abort`). A cancellation stored by another worker is seen
 *   by polling the task every `cancelPollMs` while the run lasts, then the run is aborted here.
 * A run that cannot start (unknown agent, a session owned by another agent, empty input) ends the
 * task as failed with the reason as its status message; `execute` itself never throws.
 */
export class PlutoAgentExecutor implements AgentExecutor {
  readonly #options: PlutoAgentExecutorOptions;
  /** Active runs of this process by the task's event bus (one bus per tenant, agent and task). */
  readonly #active = new Map<ExecutionEventBus, { runId: string; tenant: string }>();

  constructor(options: PlutoAgentExecutorOptions) {
    this.#options = options;
  }

  /** See the SDK's `AgentExecutor.execute`. */
  execute = async (requestContext: RequestContext, eventBus: ExecutionEventBus): Promise<void> => {
    const scope = scopeOfCall(requestContext.context);
    const { taskId, contextId } = requestContext;
    const sessionId = sessionIdForContext(contextId);
    const queue = new RunEventQueue();
    let handle: RunHandle;
    // Calls still waiting after this message's decision (none for an ordinary message).
    let waiting: PendingApprovalJson[] = [];
    try {
      const decision = messageDecision(requestContext.userMessage);
      const listener = (events: readonly SessionEvent[]) => queue.push(events);
      if (decision === undefined) {
        handle = await this.#options.runs.start({
          agent: scope.agent,
          tenant: scope.tenant,
          input: messageInput(requestContext.userMessage),
          sessionId,
          // A2A contexts belong to one agent's endpoint; the same context id on another agent is another session.
          checkOwner: false,
          listener,
        });
      } else {
        const key = { tenant: scope.tenant, agent: scope.agent, session: sessionId };
        const pending = pendingApprovalList(await this.#options.runs.touch(key));
        const toolCallId = decision.tool_call_id ?? pending[0]?.tool_call_id;
        waiting = pending.filter((approval) => approval.tool_call_id !== toolCallId);
        handle = await decideFromInput(
          this.#options.runs,
          key,
          toolCallId === undefined ? decision : { ...decision, tool_call_id: toolCallId },
          listener,
        );
        const decided = handle.runId;
        // A decision that leaves others waiting starts no run: its result is the waiting run's end,
        // told to the translator as this handle's so the task goes back to input-required.
        handle.result.then(
          (end) => {
            if (end.runId !== decided) queue.push([{ ...end, runId: decided, seq: 0 }]);
          },
          () => {},
        );
      }
    } catch (error) {
      const reason = isPlutoError(error) ? `${error.code}: ${error.message}` : errorMessage(error);
      if (!isPlutoError(error)) this.#options.onUnexpectedError?.(error);
      const status = statusOf(TaskState.TASK_STATE_FAILED, agentMessage(taskId, contextId, reason));
      eventBus.publish(
        AgentEvent.task({ id: taskId, contextId, status, artifacts: [], history: [], metadata: {} }),
      );
      eventBus.publish(AgentEvent.statusUpdate({ taskId, contextId, status, metadata: undefined }));
      return;
    }
    this.#active.set(eventBus, { runId: handle.runId, tenant: scope.tenant });
    handle.result.catch((error: unknown) => {
      this.#options.onUnexpectedError?.(error);
      queue.close();
    });
    const stopPolling = this.#pollForCancellation(scope, taskId, handle.runId);
    try {
      eventBus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: statusOf(TaskState.TASK_STATE_WORKING),
          artifacts: [],
          history: [],
          metadata: { [RUN_ID_METADATA]: handle.runId, [SESSION_ID_METADATA]: sessionId },
        }),
      );
      const translator = new RunEventTranslator({ taskId, contextId, runId: handle.runId, waiting });
      while (!translator.ended) {
        const batch = await queue.next();
        if (batch === undefined) break;
        for (const update of translator.translate(batch)) eventBus.publish(update);
      }
      if (!translator.ended) {
        const status = statusOf(
          TaskState.TASK_STATE_FAILED,
          agentMessage(
            taskId,
            contextId,
            "INTERNAL: the session log failed; the run's end was not recorded.",
          ),
        );
        eventBus.publish(AgentEvent.statusUpdate({ taskId, contextId, status, metadata: undefined }));
      }
    } finally {
      stopPolling();
      handle.unsubscribe();
      queue.close();
      this.#active.delete(eventBus);
    }
  };

  /** See the SDK's `AgentExecutor.cancelTask`: aborts the task's run, or marks an idle task canceled. */
  cancelTask = async (taskId: string, eventBus: ExecutionEventBus): Promise<void> => {
    const run = this.#active.get(eventBus);
    if (run !== undefined && this.#options.runs.abort(run.runId, run.tenant)) return;
    // No run in progress (the task waits for input): the cancellation is the only event. The result
    // manager applies it to the stored task by id, so the context id is not needed here.
    eventBus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: "",
        status: statusOf(TaskState.TASK_STATE_CANCELED),
        metadata: undefined,
      }),
    );
  };

  #pollForCancellation(scope: Scope, taskId: string, runId: string): () => void {
    const timer = setInterval(() => {
      this.#options.tasks
        .entry(scope, taskId)
        .then((entry) => {
          if (entry?.task.status?.state === TaskState.TASK_STATE_CANCELED) {
            this.#options.runs.abort(runId, scope.tenant);
          }
        })
        .catch((error: unknown) => this.#options.onUnexpectedError?.(error));
    }, this.#options.cancelPollMs ?? 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}

import type {
  AgentCard,
  CancelTaskRequest,
  DeleteTaskPushNotificationConfigRequest,
  GetExtendedAgentCardRequest,
  GetTaskPushNotificationConfigRequest,
  GetTaskRequest,
  ListTaskPushNotificationConfigsRequest,
  ListTaskPushNotificationConfigsResponse,
  ListTasksRequest,
  ListTasksResponse,
  Message,
  SendMessageRequest,
  StreamResponse,
  SubscribeToTaskRequest,
  Task,
  TaskPushNotificationConfig,
} from "@a2a-js/sdk";
import { TaskState } from "@a2a-js/sdk";
import type { A2ARequestHandler, DefaultRequestHandler, ServerCallContext } from "@a2a-js/sdk/server";
import type { RunManager } from "../../runs/run-manager.js";
import { scopeOfCall } from "./a2a-scope.js";
import { type A2aTaskStore, TERMINAL_STATES } from "./a2a-task-store.js";
import { messageInput } from "./message-input.js";
import { RunEventQueue } from "./run-event-queue.js";
import { type A2aUpdate, RunEventTranslator } from "./run-event-translator.js";
import type { ScopedEventBusManager } from "./scoped-event-bus-manager.js";

/** Options of {@link PlutoRequestHandler}. */
export interface PlutoRequestHandlerOptions {
  /** The SDK's handler over the same task store, bus manager and executor. */
  inner: DefaultRequestHandler;
  tasks: A2aTaskStore;
  buses: ScopedEventBusManager;
  runs: RunManager;
}

/**
 * The `A2ARequestHandler` the transports call: the SDK's `DefaultRequestHandler`, plus two things it
 * cannot know about Pluto.
 * - Messages without any content are refused (`RequestMalformedError`) before a task is created.
 * - `resubscribe` for a task whose run is on another worker (no live bus here) follows the run
 *   through Pluto's session fan-out (`RunManager.subscribe`, Redis across workers) and streams the
 *   same updates the owning worker's executor publishes, until the run ends.
 * Everything else is the SDK's behaviour over Pluto's task store.
 */
export class PlutoRequestHandler implements A2ARequestHandler {
  readonly #options: PlutoRequestHandlerOptions;

  constructor(options: PlutoRequestHandlerOptions) {
    this.#options = options;
  }

  getAgentCard(): Promise<AgentCard> {
    return this.#options.inner.getAgentCard();
  }

  getAuthenticatedExtendedAgentCard(
    params: GetExtendedAgentCardRequest,
    context: ServerCallContext,
  ): Promise<AgentCard> {
    return this.#options.inner.getAuthenticatedExtendedAgentCard(params, context);
  }

  async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    messageInput(params.message);
    return this.#options.inner.sendMessage(params, context);
  }

  async *sendMessageStream(
    params: SendMessageRequest,
    context: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    messageInput(params.message);
    yield* this.#options.inner.sendMessageStream(params, context);
  }

  getTask(params: GetTaskRequest, context: ServerCallContext): Promise<Task> {
    return this.#options.inner.getTask(params, context);
  }

  listTasks(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    return this.#options.inner.listTasks(params, context);
  }

  cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    return this.#options.inner.cancelTask(params, context);
  }

  createTaskPushNotificationConfig(
    params: TaskPushNotificationConfig,
    context: ServerCallContext,
  ): Promise<TaskPushNotificationConfig> {
    return this.#options.inner.createTaskPushNotificationConfig(params, context);
  }

  getTaskPushNotificationConfig(
    params: GetTaskPushNotificationConfigRequest,
    context: ServerCallContext,
  ): Promise<TaskPushNotificationConfig> {
    return this.#options.inner.getTaskPushNotificationConfig(params, context);
  }

  listTaskPushNotificationConfigs(
    params: ListTaskPushNotificationConfigsRequest,
    context: ServerCallContext,
  ): Promise<ListTaskPushNotificationConfigsResponse> {
    return this.#options.inner.listTaskPushNotificationConfigs(params, context);
  }

  deleteTaskPushNotificationConfig(
    params: DeleteTaskPushNotificationConfigRequest,
    context: ServerCallContext,
  ): Promise<void> {
    return this.#options.inner.deleteTaskPushNotificationConfig(params, context);
  }

  async *resubscribe(
    params: SubscribeToTaskRequest,
    context: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const { inner, tasks, buses, runs } = this.#options;
    const scope = scopeOfCall(context);
    const first =
      buses.getByTaskId(params.id, context) === undefined ? await tasks.entry(scope, params.id) : undefined;
    const state = first?.task.status?.state;
    if (first?.runId === undefined || state === undefined || TERMINAL_STATES.has(state)) {
      // A live bus here, an unknown or finished task: the SDK's own answer (stream or error).
      yield* inner.resubscribe(params, context);
      return;
    }
    const queue = new RunEventQueue();
    const unsubscribe = runs.subscribe(
      { tenant: scope.tenant, agent: scope.agent, session: first.record.session },
      (events) => queue.push(events),
    );
    try {
      // Read again after subscribing, so an end that happened in between is not waited for.
      const entry = (await tasks.entry(scope, params.id)) ?? first;
      yield { payload: { $case: "task", value: entry.task } };
      const current = entry.task.status?.state;
      if (
        current === undefined ||
        TERMINAL_STATES.has(current) ||
        current === TaskState.TASK_STATE_INPUT_REQUIRED ||
        entry.runId === undefined
      ) {
        return;
      }
      const translator = new RunEventTranslator({
        taskId: entry.task.id,
        contextId: entry.task.contextId,
        runId: entry.runId,
      });
      while (!translator.ended) {
        const batch = await queue.next();
        if (batch === undefined) return;
        for (const update of translator.translate(batch)) yield streamResponseOf(update);
      }
    } finally {
      unsubscribe();
      queue.close();
    }
  }
}

function streamResponseOf(update: A2aUpdate): StreamResponse {
  return update.kind === "statusUpdate"
    ? { payload: { $case: "statusUpdate", value: update.data } }
    : { payload: { $case: "artifactUpdate", value: update.data } };
}

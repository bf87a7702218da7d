import { type ListTasksRequest, type ListTasksResponse, Task, TaskState } from "@a2a-js/sdk";
import { RequestMalformedError } from "@a2a-js/sdk/errors";
import type { TaskStore as SdkTaskStore, ServerCallContext } from "@a2a-js/sdk/server";
import { isPlutoError } from "../../core/errors.js";
import { isSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import type { TaskRecord, TaskStore } from "../../services/task/task-store.js";
import { scopeOfCall, sessionIdForContext } from "./a2a-scope.js";

/** Task states after which a task never changes again (A2A v1.0, `TaskState`). */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

/** What Pluto keeps in `TaskRecord.data` for an A2A task. */
export interface A2aTaskData {
  /** The task as A2A v1.0 ProtoJSON (`Task.toJSON`), so bytes and enums survive any backend. */
  task: unknown;
  /** The run of the task's latest turn (`run_…`), once one started. */
  runId?: string;
  /** Every run of the task, oldest first (one per turn). */
  runs?: string[];
}

/** An A2A task as stored, with the Pluto fields beside it. */
export interface A2aTaskEntry {
  task: Task;
  record: TaskRecord;
  runId: string | undefined;
}

/** Metadata key on `Task.metadata` where the executor announces the run of the current turn. */
export const RUN_ID_METADATA = "pluto.run_id";

/** Metadata key on `Task.metadata` naming the Pluto session of the task's context. */
export const SESSION_ID_METADATA = "pluto.session_id";

/** Newest history entries kept in a stored task; the full conversation is in the session log. */
const MAX_STORED_HISTORY = 50;

/** Tasks read per store call while filtering `ListTasks`. */
const LIST_BATCH = 100;

/** Records a filtered `ListTasks` looks at, at most; beyond it, `totalSize` counts only these. */
const MAX_LIST_SCAN = 10_000;

/** Retries of a save that lost an optimistic-concurrency race. */
const SAVE_ATTEMPTS = 4;

/**
 * The SDK's `TaskStore` (save/load/list) over Pluto's {@link TaskStore} with protocol `a2a`, so task
 * state lives in Pluto's backend (memory, files, PostgreSQL) and any worker can answer for any task.
 *
 * Scope: the tenant and agent come from the call's Pluto scope (`a2a-scope.ts`), never from the A2A
 * `tenant` field; tasks of another tenant or agent are invisible. Unsafe task ids (anything
 * `assertSafeName` refuses) are simply not found. Saves are read-merge-write with optimistic
 * concurrency; a terminal state is sticky, so a worker that still believes a task is running cannot
 * overwrite a cancellation written by another worker. History is capped at the newest
 * {@link MAX_STORED_HISTORY} messages and shrinks further when the 1 MiB record limit is hit.
 */
export class A2aTaskStore implements SdkTaskStore {
  readonly #tasks: TaskStore;
  readonly #now: () => Date;

  constructor(options: { tasks: TaskStore; now?: () => Date }) {
    this.#tasks = options.tasks;
    this.#now = options.now ?? (() => new Date());
  }

  /** See the SDK's `TaskStore.load`. */
  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    return (await this.entry(scopeOfCall(context), taskId))?.task;
  }

  /** The stored task with its Pluto record and current run, or `undefined`. */
  async entry(scope: Scope, taskId: string): Promise<A2aTaskEntry | undefined> {
    if (typeof taskId !== "string" || !isSafeName(taskId)) return undefined;
    const record = await this.#tasks.get(scope.tenant, "a2a", taskId);
    if (record === undefined || record.agent !== scope.agent) return undefined;
    return entryOf(record);
  }

  /** See the SDK's `TaskStore.save`. @throws RequestMalformedError for an id Pluto cannot store. */
  async save(task: Task, context: ServerCallContext): Promise<void> {
    const scope = scopeOfCall(context);
    if (!isSafeName(task.id)) {
      throw new RequestMalformedError(
        "Task ids must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.",
      );
    }
    for (let attempt = 1; ; attempt++) {
      const current = await this.#tasks.get(scope.tenant, "a2a", task.id);
      if (current !== undefined && current.agent !== scope.agent) {
        throw new RequestMalformedError(`Task ${task.id} belongs to another agent.`);
      }
      try {
        await this.#write(scope, task, current);
        return;
      } catch (error) {
        if (!isPlutoError(error, "SESSION_CONFLICT") || attempt >= SAVE_ATTEMPTS) throw error;
      }
    }
  }

  async #write(scope: Scope, incoming: Task, current: TaskRecord | undefined): Promise<void> {
    const task = structuredClone(incoming);
    const previous = current === undefined ? undefined : entryOf(current);
    const storedState = previous?.task.status?.state;
    if (storedState !== undefined && TERMINAL_STATES.has(storedState) && task.status?.state !== storedState) {
      task.status = previous?.task.status;
    }
    const runId = stringValue(task.metadata?.[RUN_ID_METADATA]) ?? previous?.runId;
    const runs = [...((current?.data as A2aTaskData | undefined)?.runs ?? [])];
    if (runId !== undefined && !runs.includes(runId)) runs.push(runId);
    // The SDK records the user's message as sent; stamp the ids it was given so history reads whole.
    task.history = task.history.slice(-MAX_STORED_HISTORY).map((message) => ({
      ...message,
      taskId: message.taskId === "" ? task.id : message.taskId,
      contextId: message.contextId === "" ? task.contextId : message.contextId,
    }));
    for (;;) {
      const data: A2aTaskData = { task: Task.toJSON(task), ...(runId === undefined ? {} : { runId }), runs };
      try {
        await this.#tasks.put(
          scope.tenant,
          {
            id: task.id,
            protocol: "a2a",
            agent: scope.agent,
            session: current?.session ?? sessionIdForContext(task.contextId),
            createdAt: current?.createdAt ?? this.#now().toISOString(),
            data: data as unknown as Record<string, unknown>,
          },
          { expectedVersion: current?.version ?? 0 },
        );
        return;
      } catch (error) {
        // Over the record limit: the conversation is in the session log, so drop the oldest history.
        if (
          !isPlutoError(error, "BAD_REQUEST") ||
          error.details?.limit === undefined ||
          task.history.length === 0
        )
          throw error;
        task.history = task.history.slice(Math.ceil(task.history.length / 2));
      }
    }
  }

  /**
   * See the SDK's `TaskStore.list`: the agent's tasks, newest first (by creation), filtered by
   * `contextId`, `status` and `statusTimestampAfter`, paged by `pageSize` and an opaque `pageToken`.
   * Artifacts are left out unless `includeArtifacts`.
   * @throws RequestMalformedError for a page token this store did not issue.
   */
  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const scope = scopeOfCall(context);
    const pageSize = params.pageSize ?? 50;
    const offset = decodePageToken(params.pageToken);
    const filtered =
      params.contextId !== "" ||
      (params.status !== undefined && params.status !== TaskState.TASK_STATE_UNSPECIFIED) ||
      (params.statusTimestampAfter ?? "") !== "";
    const { total } = await this.#tasks.list(scope.tenant, "a2a", { agent: scope.agent, limit: 0 });
    let matches: Task[] = [];
    let totalSize = total;
    if (!filtered) {
      const end = Math.max(0, total - offset);
      const start = Math.max(0, end - pageSize);
      const page = await this.#tasks.list(scope.tenant, "a2a", {
        agent: scope.agent,
        offset: start,
        limit: end - start,
      });
      matches = page.tasks.map((record) => entryOf(record).task).reverse();
    } else {
      const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : undefined;
      const all: Task[] = [];
      for (let end = total; end > 0 && total - end < MAX_LIST_SCAN; end -= LIST_BATCH) {
        const start = Math.max(0, end - LIST_BATCH);
        const page = await this.#tasks.list(scope.tenant, "a2a", {
          agent: scope.agent,
          offset: start,
          limit: end - start,
        });
        for (const record of page.tasks.reverse()) {
          const { task } = entryOf(record);
          if (params.contextId !== "" && task.contextId !== params.contextId) continue;
          if (
            params.status !== undefined &&
            params.status !== TaskState.TASK_STATE_UNSPECIFIED &&
            task.status?.state !== params.status
          )
            continue;
          if (after !== undefined && !(Date.parse(task.status?.timestamp ?? "") > after)) continue;
          all.push(task);
        }
      }
      totalSize = all.length;
      matches = all.slice(offset, offset + pageSize);
    }
    const tasks = matches.map((task) =>
      params.includeArtifacts === true ? task : { ...task, artifacts: [] },
    );
    const next = offset + tasks.length;
    return {
      tasks,
      nextPageToken: tasks.length === pageSize && next < totalSize ? encodePageToken(next) : "",
      pageSize,
      totalSize,
    };
  }
}

function entryOf(record: TaskRecord): A2aTaskEntry {
  const data = record.data as Partial<A2aTaskData>;
  return { task: Task.fromJSON(data.task ?? {}), record, runId: stringValue(data.runId) };
}

function stringValue(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64url");
}

function decodePageToken(token: string): number {
  if (token === "") return 0;
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { offset?: unknown };
    if (typeof value.offset === "number" && Number.isSafeInteger(value.offset) && value.offset >= 0) {
      return value.offset;
    }
  } catch {
    // fall through to the error below
  }
  throw new RequestMalformedError("pageToken is not a token from a previous ListTasks answer.");
}

import { assertSafeName } from "../../core/names.js";
import {
  checkTaskId,
  checkTaskListOptions,
  checkTaskProtocol,
  checkTaskPut,
  compareTasksByAge,
  nextTaskRecord,
  taskConflict,
} from "./task-input.js";
import type { TaskInput, TaskPage, TaskProtocol, TaskRecord, TaskStore } from "./task-store.js";

/**
 * A {@link TaskStore} in process memory: the test backend and `backend: memory`. Same contract as the
 * filesystem store (versions, conflicts, validation, 1 MiB data limit, tenant isolation); records are
 * kept as JSON text so callers can never mutate stored state, and nothing survives the process.
 */
export class InMemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, string>();

  #key(tenant: string, protocol: TaskProtocol, id: string): string {
    return `${tenant}/${protocol}/${id}`;
  }

  /** See {@link TaskStore.put}. */
  async put(tenant: string, task: TaskInput, options: { expectedVersion: number }): Promise<TaskRecord> {
    const checked = checkTaskPut(tenant, task, options);
    const key = this.#key(checked.tenant, checked.task.protocol, checked.task.id);
    const existing = this.#tasks.get(key);
    const actualVersion = existing === undefined ? 0 : (JSON.parse(existing) as TaskRecord).version;
    if (checked.expectedVersion !== actualVersion) {
      throw taskConflict(checked.task, checked.expectedVersion, actualVersion);
    }
    const record = nextTaskRecord(checked.task, actualVersion + 1);
    const text = JSON.stringify(record);
    this.#tasks.set(key, text);
    return JSON.parse(text) as TaskRecord;
  }

  /** See {@link TaskStore.get}. */
  async get(tenant: string, protocol: TaskProtocol, id: string): Promise<TaskRecord | undefined> {
    const key = this.#key(assertSafeName("tenant", tenant), checkTaskProtocol(protocol), checkTaskId(id));
    const text = this.#tasks.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as TaskRecord);
  }

  /** See {@link TaskStore.list}. Oldest `createdAt` first, ties by id. */
  async list(
    tenant: string,
    protocol: TaskProtocol,
    options?: { agent?: string; offset?: number; limit?: number },
  ): Promise<TaskPage> {
    const prefix = `${assertSafeName("tenant", tenant)}/${checkTaskProtocol(protocol)}/`;
    const { agent, offset, limit } = checkTaskListOptions(options);
    const matching: TaskRecord[] = [];
    for (const [key, text] of this.#tasks) {
      if (!key.startsWith(prefix)) continue;
      const record = JSON.parse(text) as TaskRecord;
      if (agent === undefined || record.agent === agent) matching.push(record);
    }
    matching.sort(compareTasksByAge);
    return { tasks: matching.slice(offset, offset + limit), total: matching.length };
  }

  /** See {@link TaskStore.delete}. */
  async delete(tenant: string, protocol: TaskProtocol, id: string): Promise<void> {
    this.#tasks.delete(
      this.#key(assertSafeName("tenant", tenant), checkTaskProtocol(protocol), checkTaskId(id)),
    );
  }
}

/** Protocols whose tasks Pluto keeps: Agent Protocol tasks and A2A tasks. */
export type TaskProtocol = "agent-protocol" | "a2a";

/**
 * A protocol task and the Pluto session that holds its conversation. Protocol adapters keep their own
 * JSON in `data` (Agent Protocol `input`/`additional_input`/artifacts; A2A status and history ids);
 * the conversation itself stays in the session log, so any worker can answer for any task.
 */
export interface TaskRecord {
  /** Safe name, unique per tenant and protocol. */
  id: string;
  protocol: TaskProtocol;
  agent: string;
  /** Session id of the conversation (in the same tenant and agent). */
  session: string;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** ISO-8601 time of the last write. */
  updatedAt: string;
  /** Starts at 1 and grows by one with every write (optimistic concurrency). */
  version: number;
  /** Protocol-specific JSON, at most 1 MiB serialised. */
  data: Record<string, unknown>;
}

/** What a caller writes: the store sets `version` and `updatedAt`. */
export type TaskInput = Omit<TaskRecord, "version" | "updatedAt">;

/** One page of tasks, oldest first, plus the total count for pagination objects. */
export interface TaskPage {
  tasks: TaskRecord[];
  total: number;
}

/**
 * Protocol tasks per tenant (a fourth small store beside sessions, memory and artifacts; see
 * docs/decisions/0002-task-store.md). Every backend runs the contract suite in test/contracts.
 */
export interface TaskStore {
  /**
   * Creates (`expectedVersion: 0`) or replaces a task, only if its version is still `expectedVersion`.
   * @returns the stored record with its new version.
   * @throws PlutoError `SESSION_CONFLICT` when the version moved on; `INVALID_NAME` for an unsafe id; `BAD_REQUEST` when `data` is too large.
   */
  put(tenant: string, task: TaskInput, options: { expectedVersion: number }): Promise<TaskRecord>;

  /** The task, or `undefined`. */
  get(tenant: string, protocol: TaskProtocol, id: string): Promise<TaskRecord | undefined>;

  /** Tasks oldest first; `agent` filters; `offset` (default 0) and `limit` (default 100) page. */
  list(
    tenant: string,
    protocol: TaskProtocol,
    options?: { agent?: string; offset?: number; limit?: number },
  ): Promise<TaskPage>;

  /** Removes a task; resolves even when it did not exist. */
  delete(tenant: string, protocol: TaskProtocol, id: string): Promise<void>;

  /** Releases resources. */
  close?(): Promise<void>;
}

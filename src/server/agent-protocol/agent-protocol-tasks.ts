import { isPlutoError, PlutoError } from "../../core/errors.js";
import type { TaskRecord, TaskStore } from "../../services/task/task-store.js";
import type { AppOptions } from "../app-options.js";
import { AgentProtocolTaskData } from "./agent-protocol-schemas.js";

/** The protocol name of Agent Protocol tasks in the `TaskStore`. */
export const PROTOCOL = "agent-protocol";

/** Header naming the agent of a new task (the spec has no agent field). */
export const AGENT_HEADER = "x-pluto-agent";

/** A task record with its parsed Agent Protocol data. */
export interface LoadedTask {
  record: TaskRecord;
  data: AgentProtocolTaskData;
}

/** Parses a record's data. @throws PlutoError `SESSION_CORRUPT` when it is not Agent Protocol data. */
export function taskDataOf(record: TaskRecord): AgentProtocolTaskData {
  const parsed = AgentProtocolTaskData.safeParse(record.data);
  if (!parsed.success) {
    throw new PlutoError(
      "SESSION_CORRUPT",
      `Task ${record.id} has data that is not an Agent Protocol task; restore it from a backup or delete it.`,
      { details: { task_id: record.id } },
    );
  }
  return parsed.data;
}

/** The error for an id that names no task of the caller's tenant. */
export function taskNotFound(taskId: string): PlutoError {
  return new PlutoError(
    "NOT_FOUND",
    `No task ${JSON.stringify(taskId.slice(0, 80))}. Create one with POST /ap/v1/agent/tasks, or list them with GET /ap/v1/agent/tasks.`,
    { details: { task_id: taskId.slice(0, 200) } },
  );
}

/**
 * Loads a task of `tenant`. Ids that are not safe names cannot name a task, so they are 404s too.
 * @throws PlutoError `NOT_FOUND` when absent, `SESSION_CORRUPT` for foreign data.
 */
export async function loadTask(tasks: TaskStore, tenant: string, taskId: string): Promise<LoadedTask> {
  let record: TaskRecord | undefined;
  try {
    record = await tasks.get(tenant, PROTOCOL, taskId);
  } catch (error) {
    if (isPlutoError(error, "INVALID_NAME")) throw taskNotFound(taskId);
    throw error;
  }
  if (record === undefined) throw taskNotFound(taskId);
  return { record, data: taskDataOf(record) };
}

/** How many times {@link updateTaskData} re-reads after a conflicting write before giving up. */
const UPDATE_ATTEMPTS = 20;

/**
 * Read-modify-write of a task's data under the store's optimistic concurrency: reads, applies
 * `change` to a copy, writes with the version read, and retries from the read on `SESSION_CONFLICT`.
 * @returns the stored task.
 * @throws PlutoError `NOT_FOUND` when the task is gone; `SESSION_CONFLICT` after {@link UPDATE_ATTEMPTS} lost races.
 */
export async function updateTaskData(options: {
  tasks: TaskStore;
  tenant: string;
  taskId: string;
  change: (data: AgentProtocolTaskData) => AgentProtocolTaskData;
}): Promise<LoadedTask> {
  for (let attempt = 1; ; attempt++) {
    const { record, data } = await loadTask(options.tasks, options.tenant, options.taskId);
    const next = options.change(structuredClone(data));
    try {
      const stored = await options.tasks.put(
        options.tenant,
        {
          id: record.id,
          protocol: record.protocol,
          agent: record.agent,
          session: record.session,
          createdAt: record.createdAt,
          data: next,
        },
        { expectedVersion: record.version },
      );
      return { record: stored, data: next };
    } catch (error) {
      if (!isPlutoError(error, "SESSION_CONFLICT") || attempt >= UPDATE_ATTEMPTS) throw error;
    }
  }
}

/**
 * Picks the agent of a new task: the `x-pluto-agent` header, else `additional_input.agent`, else the
 * tenant's only valid agent, else `defaultAgent`. The agent must exist in the caller's tenant.
 * @returns the agent's name.
 * @throws PlutoError `BAD_REQUEST` when nothing names an agent (the message lists the tenant's agents)
 * or `additional_input.agent` is not a string; `AGENT_NOT_FOUND`, `INVALID_NAME` from the catalog.
 */
export async function chooseAgent(options: {
  agents: AppOptions["agents"];
  tenant: string;
  header: string | undefined;
  additionalInput: Record<string, unknown> | undefined;
  defaultAgent: string | undefined;
}): Promise<string> {
  const fromBody = options.additionalInput?.agent;
  if (fromBody !== undefined && typeof fromBody !== "string") {
    throw new PlutoError("BAD_REQUEST", "additional_input.agent must be the name of an agent (a string).", {
      details: { field: "additional_input.agent" },
    });
  }
  let name = options.header !== undefined && options.header !== "" ? options.header : fromBody;
  if (name === undefined) {
    const valid = (await options.agents.list(options.tenant)).filter((agent) => agent.valid);
    const only = valid.length === 1 ? valid[0]?.name : undefined;
    name = only ?? options.defaultAgent;
    if (name === undefined) {
      const names = valid.map((agent) => agent.name);
      throw new PlutoError(
        "BAD_REQUEST",
        `Say which agent runs this task: send the header ${AGENT_HEADER}: <agent> or additional_input.agent. Agents: ${names.slice(0, 20).join(", ") || "(none)"}${names.length > 20 ? ", …" : ""}.`,
        { details: { agents: names.slice(0, 100) } },
      );
    }
  }
  return (await options.agents.get(name, options.tenant)).name;
}
